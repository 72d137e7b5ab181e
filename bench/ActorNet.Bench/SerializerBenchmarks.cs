using ActorNet.Formats;
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

/// <summary>
/// A checkpoint of the checkpoint benchmark's model (784 → 4096 → 1536 → 10, Adam: three float32
/// copies of 9.5 million parameters, 109 MiB) written and read in the stored format that writes it
/// now (<see cref="StoredSerializer"/>, schema version 2) and in the wire format that wrote it
/// before (version 1, which the stored formats still read). Run:
/// <c>dotnet run -c Release --project bench/ActorNet.Bench -- --filter '*CheckpointSerializerBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class CheckpointSerializerBenchmarks
{
    private ActorSystem _system = null!;
    private ActorNetSerializer _wire = null!;
    private StoredSerializer _stored = null!;
    private Checkpoint<float> _checkpoint = null!;
    private byte[] _wireBytes = [];
    private byte[] _storedBytes = [];
    private string _storedManifest = "";

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", StoredSerializer.Configuration.WithFallback(ActorNetSerializer.Configuration));
        var extended = (ExtendedActorSystem)_system;
        _wire = new ActorNetSerializer(extended);
        _stored = new StoredSerializer(extended);
        var rng = new ActorNet.Numerics.Rng(1);
        float[] Layer(int inputs, int outputs)
        {
            var values = new float[(inputs + 1) * outputs];
            for (var i = 0; i < values.Length; i++) values[i] = (float)rng.NextGaussian();
            return values;
        }
        float[][] Copy() => [Layer(784, 4096), Layer(4096, 1536), Layer(1536, 10)];
        var id = Guid.NewGuid();
        _checkpoint = new Checkpoint<float>(id, 500, 3, 320, 150.5, 280,
            [new EpochCompleted(id, 1, 0.5, 0.8, 0.45, 0.83, 1e4)], [new CheckpointRecord(12, 469, 0.83)], Copy(), Copy(), Copy());
        _wireBytes = _wire.ToBinary(_checkpoint);
        _storedBytes = _stored.ToBinary(_checkpoint);
        _storedManifest = _stored.Manifest(_checkpoint);
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    [Benchmark(Baseline = true)]
    public byte[] Wire_v1_ToBinary() => _wire.ToBinary(_checkpoint);

    [Benchmark]
    public byte[] Stored_v2_ToBinary() => _stored.ToBinary(_checkpoint);

    [Benchmark]
    public object Wire_v1_FromBinary() => _wire.FromBinary(_wireBytes, "checkpoint.f32");

    [Benchmark]
    public object Stored_v2_FromBinary() => _stored.FromBinary(_storedBytes, _storedManifest);
}
