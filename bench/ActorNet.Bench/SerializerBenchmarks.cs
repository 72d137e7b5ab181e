using ActorNet.Protocol;
using ActorNet.Serialization;
using Akka.Actor;
using Akka.Serialization;
using BenchmarkDotNet.Attributes;

namespace ActorNet.Bench;

/// <summary>
/// The wire cost of one layer's gradient, 1 million floats (4 MB), through ActorNetSerializer
/// and through Akka.NET's default Newtonsoft JSON serializer, which it replaces for ActorNet
/// messages. Run: <c>dotnet run -c Release --project bench/ActorNet.Bench -- --filter '*SerializerBenchmarks*'</c>.
/// Figures in bench/README.md.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SerializerBenchmarks
{
    private const int Floats = 1_000_000;

    private ActorSystem _system = null!;
    private ActorNetSerializer _actorNet = null!;
    private NewtonSoftJsonSerializer _json = null!;
    private LayerGradientsComputed<float> _message = null!;
    private byte[] _actorNetBytes = [];
    private byte[] _jsonBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", ActorNetSerializer.Configuration);
        var extended = (ExtendedActorSystem)_system;
        _actorNet = new ActorNetSerializer(extended);
        _json = new NewtonSoftJsonSerializer(extended);
        var gradients = new float[Floats];
        var rng = new ActorNet.Numerics.Rng(1);
        for (var i = 0; i < gradients.Length; i++) gradients[i] = (float)rng.NextGaussian();
        _message = new LayerGradientsComputed<float>(Guid.NewGuid(), 100, 0, 1, 0, 4, 64, gradients);
        _actorNetBytes = _actorNet.ToBinary(_message);
        _jsonBytes = _json.ToBinary(_message);
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    [Benchmark(Baseline = true)]
    public byte[] ActorNet_ToBinary() => _actorNet.ToBinary(_message);

    [Benchmark]
    public object ActorNet_FromBinary() => _actorNet.FromBinary(_actorNetBytes, "grad.f32");

    [Benchmark]
    public byte[] Newtonsoft_ToBinary() => _json.ToBinary(_message);

    [Benchmark]
    public object Newtonsoft_FromBinary() => _json.FromBinary(_jsonBytes, typeof(LayerGradientsComputed<float>));
}
