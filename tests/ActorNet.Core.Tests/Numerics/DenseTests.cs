using System.Numerics;
using System.Runtime.InteropServices;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

/// <summary>
/// Holds the fast kernels (<see cref="Dense"/>) against the plain triple loops
/// (<see cref="DenseReference"/>), after checking the reference itself on a case small enough
/// to work out by hand.
/// </summary>
public class DenseTests
{
    // ---------------------------------------------------------------------------------------
    // The reference is right: 2×2 worked by hand.
    //   x = [[1, 2], [3, 4]], W = [[5, 6], [7, 8]], b = [10, 20], δ = [[1, 0], [2, 1]]
    //   y  = x·Wᵀ + b = [[1·5+2·6+10, 1·7+2·8+20], [3·5+4·6+10, 3·7+4·8+20]] = [[27, 43], [49, 73]]
    //   dW = δᵀ·x     = [[1·1+2·3, 1·2+2·4], [0·1+1·3, 0·2+1·4]]             = [[7, 10], [3, 4]]
    //   db = Σ rows δ = [1+2, 0+1]                                             = [3, 1]
    //   dx = δ·W      = [[1·5+0·7, 1·6+0·8], [2·5+1·7, 2·6+1·8]]               = [[5, 6], [17, 20]]

    private static readonly double[] HandX = [1, 2, 3, 4];
    private static readonly double[] HandW = [5, 6, 7, 8];
    private static readonly double[] HandB = [10, 20];
    private static readonly double[] HandDelta = [1, 0, 2, 1];

    [Fact]
    public void Reference_matches_hand_computed_2x2() => HandCase<double>(fast: false);

    [Fact]
    public void Fast_matches_hand_computed_2x2_float() => HandCase<float>(fast: true);

    [Fact]
    public void Fast_matches_hand_computed_2x2_double() => HandCase<double>(fast: true);

    [Fact]
    public void Other_ieee_types_fall_back_to_the_reference() => HandCase<Half>(fast: true);

    private static void HandCase<T>(bool fast) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Of<T>(HandX);
        var w = Of<T>(HandW);
        var b = Of<T>(HandB);
        var d = Of<T>(HandDelta);
        var y = new T[4];
        var dw = new T[4];
        var db = new T[2];
        var dx = new T[4];
        if (fast)
        {
            Dense.Forward<T>(y, x, w, b, 2, 2, 2);
            Dense.AccumulateWeightGradients<T>(dw, db, d, x, 2, 2, 2);
            Dense.InputGradients<T>(dx, d, w, 2, 2, 2);
        }
        else
        {
            DenseReference.Forward<T>(y, x, w, b, 2, 2, 2);
            DenseReference.AccumulateWeightGradients<T>(dw, db, d, x, 2, 2, 2);
            DenseReference.InputGradients<T>(dx, d, w, 2, 2, 2);
        }

        Assert.Equal(Of<T>([27, 43, 49, 73]), y);
        Assert.Equal(Of<T>([7, 10, 3, 4]), dw);
        Assert.Equal(Of<T>([3, 1]), db);
        Assert.Equal(Of<T>([5, 6, 17, 20]), dx);
    }

    // ---------------------------------------------------------------------------------------
    // Fast against reference on random data, every microkernel width this CPU can run.

    /// <summary>(batch, inputs, outputs): 1, 3, 17, 255 and 1000 in every dimension, sizes
    /// that are and are not multiples of the register tile (6 × 32 floats), depths that take
    /// more than one KC = 256 block and widths more than one NC block, the engine's own
    /// 784-256-128-10 layers (thinned where the full size only adds run time: the Debug-built
    /// reference is slow), and empty matrices.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 2, 2, 2 }, { 3, 3, 3 }, { 17, 17, 17 },
        { 1, 3, 17 }, { 3, 17, 1 }, { 17, 1, 3 },
        { 255, 3, 17 }, { 3, 255, 17 }, { 3, 17, 255 },
        { 1000, 3, 17 }, { 3, 1000, 17 }, { 17, 3, 1000 },
        { 1000, 1, 1 }, { 1, 1000, 1 }, { 1, 1, 1000 },
        { 255, 255, 17 }, { 17, 255, 255 }, { 255, 17, 255 },
        { 6, 32, 32 }, { 12, 64, 64 }, { 7, 33, 31 }, { 5, 257, 65 }, { 260, 70, 40 },
        { 20, 784, 64 }, { 64, 128, 10 }, { 256, 128, 10 },
        { 0, 5, 3 }, { 4, 0, 3 }, { 4, 5, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_reference(int batch, int inputs, int outputs) =>
        MatchesReference<float>(batch, inputs, outputs, 1e-4, seed: (ulong)(batch * 1_000_003 + inputs * 1009 + outputs));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_matches_reference(int batch, int inputs, int outputs) =>
        MatchesReference<double>(batch, inputs, outputs, 1e-12, seed: (ulong)(batch * 1_000_003 + inputs * 1009 + outputs + 7));

    private static void MatchesReference<T>(int batch, int inputs, int outputs, double tolerance, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var x = Random<T>(rng, batch * inputs);
        var w = Random<T>(rng, outputs * inputs);
        var b = Random<T>(rng, outputs);
        var d = Random<T>(rng, batch * outputs);
        var dw0 = Random<T>(rng, outputs * inputs); // gradients accumulate onto what is there
        var db0 = Random<T>(rng, outputs);

        // The right answers, and the scale each is compared at: the same products of |values|,
        // i.e. the sum of the magnitudes of the terms, which bounds the rounding error of any
        // summation order.
        var y = new T[batch * outputs];
        var dw = (T[])dw0.Clone();
        var db = (T[])db0.Clone();
        var dx = new T[batch * inputs];
        DenseReference.Forward<T>(y, x, w, b, batch, inputs, outputs);
        DenseReference.AccumulateWeightGradients<T>(dw, db, d, x, batch, inputs, outputs);
        DenseReference.InputGradients<T>(dx, d, w, batch, inputs, outputs);

        T[] ax = Abs(x), aw = Abs(w), ab = Abs(b), ad = Abs(d);
        var yScale = new T[batch * outputs];
        var dwScale = Abs(dw0);
        var dbScale = Abs(db0);
        var dxScale = new T[batch * inputs];
        DenseReference.Forward<T>(yScale, ax, aw, ab, batch, inputs, outputs);
        DenseReference.AccumulateWeightGradients<T>(dwScale, dbScale, ad, ax, batch, inputs, outputs);
        DenseReference.InputGradients<T>(dxScale, ad, aw, batch, inputs, outputs);

        foreach (var isa in Isas())
        {
            using var _ = ForceIsa(isa);
            foreach (var transposed in new[] { false, true })
            {
                // Forward can compute y or yᵀ (it picks by cost); check both set-ups.
                Dense.ForwardTransposedOverride = transposed;
                var fy = Filled<T>(batch * outputs, T.NaN); // overwritten, whatever was there
                Dense.Forward<T>(fy, x, w, b, batch, inputs, outputs);
                AssertClose(y, fy, yScale, tolerance, $"Forward {isa} {(transposed ? "as yT" : "as y")}");
            }

            Dense.ForwardTransposedOverride = null;
            var fdw = (T[])dw0.Clone();
            var fdb = (T[])db0.Clone();
            var fdx = Filled<T>(batch * inputs, T.NaN);
            Dense.AccumulateWeightGradients<T>(fdw, fdb, d, x, batch, inputs, outputs);
            Dense.InputGradients<T>(fdx, d, w, batch, inputs, outputs);

            AssertClose(dw, fdw, dwScale, tolerance, $"weight gradients {isa}");
            AssertClose(db, fdb, dbScale, tolerance, $"bias gradients {isa}");
            AssertClose(dx, fdx, dxScale, tolerance, $"input gradients {isa}");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Semantics

    [Fact]
    public void Forward_adds_the_bias()
    {
        const int batch = 9, inputs = 40, outputs = 35;
        var rng = new Rng(11);
        var x = Random<float>(rng, batch * inputs);
        var b = Random<float>(rng, outputs);

        // With zero weights the output is exactly the bias, row after row.
        var y = new float[batch * outputs];
        Dense.Forward<float>(y, x, new float[outputs * inputs], b, batch, inputs, outputs);
        for (var n = 0; n < batch; n++) Assert.Equal(b, y.AsSpan(n * outputs, outputs).ToArray());

        // With weights, the output less the bias-free output is the bias.
        var w = Random<float>(rng, outputs * inputs);
        var withBias = new float[batch * outputs];
        var withoutBias = new float[batch * outputs];
        Dense.Forward<float>(withBias, x, w, b, batch, inputs, outputs);
        Dense.Forward<float>(withoutBias, x, w, new float[outputs], batch, inputs, outputs);
        for (var n = 0; n < batch; n++)
        for (var o = 0; o < outputs; o++)
            Assert.Equal(b[o], withBias[n * outputs + o] - withoutBias[n * outputs + o], 1e-5f);
    }

    [Theory]
    [InlineData(5, 17, 3)]
    [InlineData(64, 784, 40)]
    [InlineData(300, 100, 50)] // depth (batch) over one KC block
    public void Weight_gradients_accumulate(int batch, int inputs, int outputs)
    {
        var rng = new Rng(12);
        var x = Random<double>(rng, batch * inputs);
        var d = Random<double>(rng, batch * outputs);
        var onceW = new double[outputs * inputs];
        var onceB = new double[outputs];
        Dense.AccumulateWeightGradients<double>(onceW, onceB, d, x, batch, inputs, outputs);
        var twiceW = new double[outputs * inputs];
        var twiceB = new double[outputs];
        Dense.AccumulateWeightGradients<double>(twiceW, twiceB, d, x, batch, inputs, outputs);
        Dense.AccumulateWeightGradients<double>(twiceW, twiceB, d, x, batch, inputs, outputs);

        Assert.Contains(onceW, v => v != 0);
        for (var i = 0; i < onceW.Length; i++) Assert.Equal(2 * onceW[i], twiceW[i], 1e-12 * (1 + Math.Abs(onceW[i])));
        for (var i = 0; i < onceB.Length; i++) Assert.Equal(2 * onceB[i], twiceB[i], 1e-12 * (1 + Math.Abs(onceB[i])));
    }

    [Theory]
    [InlineData(64, 784, 256)]
    [InlineData(17, 255, 1000)]
    [InlineData(255, 17, 3)]
    public void Repeated_calls_are_bit_identical(int batch, int inputs, int outputs)
    {
        var rng = new Rng(13);
        var x = Random<float>(rng, batch * inputs);
        var w = Random<float>(rng, outputs * inputs);
        var b = Random<float>(rng, outputs);
        var d = Random<float>(rng, batch * outputs);

        float[] Run()
        {
            var y = new float[batch * outputs];
            var dw = new float[outputs * inputs];
            var db = new float[outputs];
            var dx = new float[batch * inputs];
            Dense.Forward<float>(y, x, w, b, batch, inputs, outputs);
            Dense.AccumulateWeightGradients<float>(dw, db, d, x, batch, inputs, outputs);
            Dense.InputGradients<float>(dx, d, w, batch, inputs, outputs);
            return [.. y, .. dw, .. db, .. dx];
        }

        var first = Run();
        for (var i = 0; i < 2; i++)
            Assert.True(MemoryMarshal.AsBytes(first.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(Run().AsSpan())));
    }

    [Fact]
    public void Calls_after_the_first_allocate_nothing()
    {
        const int batch = 64, inputs = 784, outputs = 256;
        var rng = new Rng(14);
        var x = Random<float>(rng, batch * inputs);
        var w = Random<float>(rng, outputs * inputs);
        var b = Random<float>(rng, outputs);
        var d = Random<float>(rng, batch * outputs);
        var y = new float[batch * outputs];
        var dw = new float[outputs * inputs];
        var db = new float[outputs];
        var dx = new float[batch * inputs];

        void Run()
        {
            Dense.Forward<float>(y, x, w, b, batch, inputs, outputs);
            Dense.AccumulateWeightGradients<float>(dw, db, d, x, batch, inputs, outputs);
            Dense.InputGradients<float>(dx, d, w, batch, inputs, outputs);
        }

        Run(); // the first call on a thread allocates its packing buffer
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---------------------------------------------------------------------------------------
    // Argument checks, for both classes: each wrongly sized span is named.

    public static TheoryData<bool, string> BadLengths => new()
    {
        { true, "output" }, { true, "input" }, { true, "weights" }, { true, "bias" },
        { false, "output" }, { false, "input" }, { false, "weights" }, { false, "bias" },
    };

    [Theory]
    [MemberData(nameof(BadLengths))]
    public void Forward_rejects_a_wrongly_sized_span(bool fast, string argument)
    {
        const int batch = 3, inputs = 4, outputs = 5;
        var ex = Assert.ThrowsAny<ArgumentException>(() =>
        {
            var y = new float[batch * outputs + (argument == "output" ? 1 : 0)];
            var x = new float[batch * inputs - (argument == "input" ? 1 : 0)];
            var w = new float[outputs * inputs + (argument == "weights" ? 1 : 0)];
            var b = new float[outputs - (argument == "bias" ? 1 : 0)];
            if (fast) Dense.Forward<float>(y, x, w, b, batch, inputs, outputs);
            else DenseReference.Forward<float>(y, x, w, b, batch, inputs, outputs);
        });
        Assert.Equal(argument, ex.ParamName);
        Assert.Contains("length", ex.Message);
    }

    [Theory]
    [InlineData(true, "weightGradients")]
    [InlineData(true, "biasGradients")]
    [InlineData(true, "delta")]
    [InlineData(true, "input")]
    [InlineData(false, "weightGradients")]
    [InlineData(false, "biasGradients")]
    [InlineData(false, "delta")]
    [InlineData(false, "input")]
    public void AccumulateWeightGradients_rejects_a_wrongly_sized_span(bool fast, string argument)
    {
        const int batch = 3, inputs = 4, outputs = 5;
        var ex = Assert.ThrowsAny<ArgumentException>(() =>
        {
            var dw = new double[outputs * inputs + (argument == "weightGradients" ? 1 : 0)];
            var db = new double[outputs - (argument == "biasGradients" ? 1 : 0)];
            var d = new double[batch * outputs + (argument == "delta" ? 1 : 0)];
            var x = new double[batch * inputs - (argument == "input" ? 1 : 0)];
            if (fast) Dense.AccumulateWeightGradients<double>(dw, db, d, x, batch, inputs, outputs);
            else DenseReference.AccumulateWeightGradients<double>(dw, db, d, x, batch, inputs, outputs);
        });
        Assert.Equal(argument, ex.ParamName);
    }

    [Theory]
    [InlineData(true, "inputGradients")]
    [InlineData(true, "delta")]
    [InlineData(true, "weights")]
    [InlineData(false, "inputGradients")]
    [InlineData(false, "delta")]
    [InlineData(false, "weights")]
    public void InputGradients_rejects_a_wrongly_sized_span(bool fast, string argument)
    {
        const int batch = 3, inputs = 4, outputs = 5;
        var ex = Assert.ThrowsAny<ArgumentException>(() =>
        {
            var dx = new float[batch * inputs - (argument == "inputGradients" ? 1 : 0)];
            var d = new float[batch * outputs + (argument == "delta" ? 1 : 0)];
            var w = new float[outputs * inputs - (argument == "weights" ? 1 : 0)];
            if (fast) Dense.InputGradients<float>(dx, d, w, batch, inputs, outputs);
            else DenseReference.InputGradients<float>(dx, d, w, batch, inputs, outputs);
        });
        Assert.Equal(argument, ex.ParamName);
    }

    [Fact]
    public void Negative_sizes_are_rejected()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Dense.InputGradients<float>([], [], [], -1, 0, 0));
        Assert.Equal("batch", ex.ParamName);
    }

    // ---------------------------------------------------------------------------------------
    // Helpers

    /// <summary>Every microkernel width up to the one this CPU runs by default.</summary>
    private static IEnumerable<Dense.Isa> Isas() => Enum.GetValues<Dense.Isa>().Where(i => i <= Dense.DetectedIsa);

    private static IDisposable ForceIsa(Dense.Isa isa)
    {
        Dense.IsaOverride = isa;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        public void Dispose()
        {
            Dense.IsaOverride = null;
            Dense.ForwardTransposedOverride = null;
        }
    }

    private static void AssertClose<T>(T[] expected, T[] actual, T[] scale, double tolerance, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var e = double.CreateChecked(expected[i]);
            var a = double.CreateChecked(actual[i]);
            var s = double.CreateChecked(scale[i]);
            if (!(Math.Abs(e - a) <= tolerance * s + double.Epsilon))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {a}, expected {e} (scale {s}, tolerance {tolerance})");
        }
    }

    private static T[] Random<T>(Rng rng, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = new T[length];
        for (var i = 0; i < length; i++) a[i] = T.CreateChecked(rng.NextDouble(-1, 1));
        return a;
    }

    private static T[] Abs<T>(T[] values) where T : unmanaged, IFloatingPointIeee754<T> => values.Select(T.Abs).ToArray();

    private static T[] Filled<T>(int length, T value)
    {
        var a = new T[length];
        a.AsSpan().Fill(value);
        return a;
    }

    private static T[] Of<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(T.CreateChecked).ToArray();
}
