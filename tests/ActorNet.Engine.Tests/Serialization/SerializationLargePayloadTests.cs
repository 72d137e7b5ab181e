using System.Diagnostics;
using System.Runtime.InteropServices;
using ActorNet.Protocol;
using ActorNet.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ActorNet.Tests.Serialization;

/// <summary>
/// A 40 MB gradient, the size that took Akka's JSON serializer seconds. Asserts correctness only;
/// the timings are printed next to a plain Buffer.BlockCopy of the same bytes in the same run
/// (machines and CI load differ too much for a timed assertion). See the figures with
/// <c>dotnet test ... --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class SerializationLargePayloadTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public SerializationLargePayloadTests(ITestOutputHelper output) : base(ActorNetSerializer.Configuration, output: output) =>
        _output = output;

    private const int Floats = 10_000_000;
    private const int Repeats = 10;

    [Fact]
    public void Ten_million_floats_round_trip_bit_exact_and_are_timed_against_BlockCopy()
    {
        var gradients = new float[Floats];
        var rng = new ActorNet.Numerics.Rng(3);
        for (var i = 0; i < gradients.Length; i++) gradients[i] = (float)rng.NextGaussian();
        WireSamples.SpecialFloats.CopyTo(gradients, Floats - WireSamples.SpecialFloats.Length);
        var message = new LayerGradientsComputed<float>(Guid.NewGuid(), 9, 0, 1, 0, 2, 64, gradients);
        var serializer = (ActorNetSerializer)Sys.Serialization.FindSerializerFor(message);

        // Interleaved, so that both sides meet the same GC state: on a VM, the first touch of
        // freshly committed pages can cost far more than the copy itself (seen here: 4 ms warm,
        // over 400 ms cold for the same 40 MB BlockCopy), so the best and the median are reported.
        byte[] bytes = [];
        LayerGradientsComputed<float>? copy = null;
        var (write, read, blockCopy) = (new double[Repeats], new double[Repeats], new double[Repeats]);
        for (var i = 0; i < Repeats; i++)
        {
            write[i] = Time(() => bytes = serializer.ToBinary(message));
            read[i] = Time(() => copy = (LayerGradientsComputed<float>)serializer.FromBinary(bytes, "grad.f32"));
            blockCopy[i] = Time(() => Buffer.BlockCopy(gradients, 0, new byte[Floats * sizeof(float)], 0, Floats * sizeof(float)));
        }

        Assert.Equal(1 + 16 + 8 + 5 * 4 + 4 + Floats * sizeof(float), bytes.Length); // version, run id, step, attempt..rows, count, floats
        Assert.True(MemoryMarshal.AsBytes(gradients.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(copy!.Gradients.AsSpan())));
        Assert.Equal(message with { Gradients = copy.Gradients }, copy);

        _output.WriteLine($"10M floats (40 MB), {Repeats} interleaved runs, best / median: " +
                          $"ToBinary {Ms(write)}, FromBinary {Ms(read)}, new byte[] + Buffer.BlockCopy {Ms(blockCopy)}; " +
                          $"best-case ratios to BlockCopy: write {write.Min() / blockCopy.Min():F2}x, read {read.Min() / blockCopy.Min():F2}x");
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static string Ms(double[] milliseconds) => $"{milliseconds.Min():F1} / {milliseconds.Order().ElementAt(milliseconds.Length / 2):F1} ms";
}
