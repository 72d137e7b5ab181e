using System.Numerics;

namespace ActorNet.Numerics;

/// <summary>
/// The dense-layer products written as plain triple loops, with no blocking, no SIMD and
/// a fixed summation order. They define the right answer: <see cref="Dense"/> is tested
/// against them, and they are the baseline the benchmark's speed-up is measured from.
/// Same signatures and the same argument checks as <see cref="Dense"/>.
/// All matrices are row-major and contiguous.
/// </summary>
public static class DenseReference
{
    /// <summary>y = x·Wᵀ + b.
    /// x: (batch, inputs), w: (outputs, inputs), b: (outputs), y: (batch, outputs). Overwrites y.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias,
        int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChecks.Forward(output.Length, input.Length, weights.Length, bias.Length, batch, inputs, outputs);
        for (var n = 0; n < batch; n++)
        for (var o = 0; o < outputs; o++)
        {
            var sum = T.Zero;
            for (var i = 0; i < inputs; i++) sum += input[n * inputs + i] * weights[o * inputs + i];
            output[n * outputs + o] = sum + bias[o];
        }
    }

    /// <summary>dW += δᵀ·x ; db += Σ over rows of δ.
    /// δ: (batch, outputs), x: (batch, inputs), dW: (outputs, inputs), db: (outputs).
    /// Accumulates into dW and db.</summary>
    public static void AccumulateWeightGradients<T>(Span<T> weightGradients, Span<T> biasGradients, ReadOnlySpan<T> delta,
        ReadOnlySpan<T> input, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChecks.WeightGradients(weightGradients.Length, biasGradients.Length, delta.Length, input.Length, batch, inputs, outputs);
        for (var o = 0; o < outputs; o++)
        {
            for (var i = 0; i < inputs; i++)
            {
                var sum = T.Zero;
                for (var n = 0; n < batch; n++) sum += delta[n * outputs + o] * input[n * inputs + i];
                weightGradients[o * inputs + i] += sum;
            }

            var bsum = T.Zero;
            for (var n = 0; n < batch; n++) bsum += delta[n * outputs + o];
            biasGradients[o] += bsum;
        }
    }

    /// <summary>dx = δ·W.
    /// δ: (batch, outputs), w: (outputs, inputs), dx: (batch, inputs). Overwrites dx.</summary>
    public static void InputGradients<T>(Span<T> inputGradients, ReadOnlySpan<T> delta, ReadOnlySpan<T> weights,
        int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChecks.InputGradients(inputGradients.Length, delta.Length, weights.Length, batch, inputs, outputs);
        for (var n = 0; n < batch; n++)
        for (var i = 0; i < inputs; i++)
        {
            var sum = T.Zero;
            for (var o = 0; o < outputs; o++) sum += delta[n * outputs + o] * weights[o * inputs + i];
            inputGradients[n * inputs + i] = sum;
        }
    }
}

/// <summary>The argument checks shared by <see cref="Dense"/> and <see cref="DenseReference"/>:
/// sizes must be non-negative and every span exactly the length its shape implies, so that a
/// caller who passes a wrongly sized buffer hears about it rather than getting a silent
/// partial product.</summary>
internal static class DenseChecks
{
    public static void Forward(int output, int input, int weights, int bias, int batch, int inputs, int outputs)
    {
        Sizes(batch, inputs, outputs);
        Length(output, (long)batch * outputs, "output");
        Length(input, (long)batch * inputs, "input");
        Length(weights, (long)outputs * inputs, "weights");
        Length(bias, outputs, "bias");
    }

    public static void WeightGradients(int weightGradients, int biasGradients, int delta, int input, int batch, int inputs, int outputs)
    {
        Sizes(batch, inputs, outputs);
        Length(weightGradients, (long)outputs * inputs, "weightGradients");
        Length(biasGradients, outputs, "biasGradients");
        Length(delta, (long)batch * outputs, "delta");
        Length(input, (long)batch * inputs, "input");
    }

    public static void InputGradients(int inputGradients, int delta, int weights, int batch, int inputs, int outputs)
    {
        Sizes(batch, inputs, outputs);
        Length(inputGradients, (long)batch * inputs, "inputGradients");
        Length(delta, (long)batch * outputs, "delta");
        Length(weights, (long)outputs * inputs, "weights");
    }

    private static void Sizes(int batch, int inputs, int outputs)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be non-negative");
        if (inputs < 0) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "must be non-negative");
        if (outputs < 0) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "must be non-negative");
    }

    private static void Length(int actual, long expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} must have length {expected} for the given shape, but has length {actual}", name);
    }
}
