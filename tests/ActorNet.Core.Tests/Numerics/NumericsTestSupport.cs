using System.Numerics;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests.Numerics;

/// <summary>Conversions, tolerances and finite differences shared by the numerics tests.
/// References are always computed in double, whatever T the kernel under test runs in.</summary>
internal static class Num
{
    public static T[] From<T>(params double[] values) where T : unmanaged, IFloatingPointIeee754<T>
        => values.Select(T.CreateChecked).ToArray();

    public static double[] ToDouble<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++) result[i] = double.CreateChecked(values[i]);
        return result;
    }

    public static bool IsSingle<T>() => typeof(T) == typeof(float);

    /// <summary>Absolute and relative tolerances for comparing a kernel's result in T against a
    /// double reference: float kernels carry ~1e-7 relative rounding per operation, and a few
    /// cancellations (1 − a² near saturation) lose another two digits.</summary>
    public static (double Abs, double Rel) GradientTolerance<T>() => IsSingle<T>() ? (2e-6, 2e-4) : (1e-9, 1e-6);

    public static void Close(double expected, double actual, double abs, double rel, string what)
    {
        var err = Math.Abs(expected - actual);
        Assert.True(err <= abs + rel * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (error {err:E2} > {abs:E1} + {rel:E1}·|expected|)");
    }

    /// <summary>Central difference of f at x along coordinate i, in double; the step scales with
    /// |x_i| so that large arguments are still perturbed by more than rounding.</summary>
    public static double CentralDifference(Func<double[], double> f, double[] x, int i)
    {
        var h = 1e-6 * Math.Max(1.0, Math.Abs(x[i]));
        var saved = x[i];
        x[i] = saved + h;
        var plus = f(x);
        x[i] = saved - h;
        var minus = f(x);
        x[i] = saved;
        return (plus - minus) / (2 * h);
    }

    public static double[] ForwardDouble(Activation f, double[] z, int batch, int n)
    {
        var a = new double[z.Length];
        Activations.Forward<double>(f, a, z, batch, n);
        return a;
    }
}

/// <summary>Enum cases for theories, shared by the float and double test classes.</summary>
public static class NumericsCases
{
    public static TheoryData<Activation> AllActivations { get; } = new(Enum.GetValues<Activation>());

    /// <summary>Every (loss, output activation) pair <see cref="Losses.CheckOutputActivation"/> accepts,
    /// which includes the two fused ones.</summary>
    public static TheoryData<Loss, Activation> AllowedCombinations { get; } = AllowedPairs();

    private static TheoryData<Loss, Activation> AllowedPairs()
    {
        var data = new TheoryData<Loss, Activation>();
        foreach (var loss in Enum.GetValues<Loss>())
        foreach (var activation in Enum.GetValues<Activation>())
        {
            if (Losses.CheckOutputActivation(loss, activation) is null) data.Add(loss, activation);
        }
        return data;
    }
}
