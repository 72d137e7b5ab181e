namespace ActorNet.Model;

/// <summary>
/// Summary of a block of parameter values (a layer's weights W, or its biases b), as
/// <c>actornet checkpoints show</c> prints it.
/// </summary>
/// <param name="Count">how many values</param>
/// <param name="Mean">Σx / n</param>
/// <param name="StandardDeviation">population: √(Σ(x − mean)² / n)</param>
/// <param name="L2Norm">√(Σx²)</param>
/// <remarks>Of no values: count 0, norm 0, NaN for the rest. A NaN among the values makes
/// every figure but the count NaN, which is what a diverged layer should show.</remarks>
public readonly record struct WeightStatistics(int Count, double Mean, double StandardDeviation, double Min, double Max, double L2Norm)
{
    /// <summary>Two passes (the mean, then the squared deviations from it), so that the
    /// deviation of values far from 0 does not drown in round-off.</summary>
    public static WeightStatistics Of(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) return new WeightStatistics(0, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        double sum = 0, squares = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var x in values)
        {
            sum += x;
            squares += x * x;
            min = Math.Min(min, x); // NaN when x is
            max = Math.Max(max, x);
        }
        var n = values.Length;
        var mean = sum / n;
        double deviations = 0;
        foreach (var x in values) deviations += (x - mean) * (x - mean);
        return new WeightStatistics(n, mean, Math.Sqrt(deviations / n), min, max, Math.Sqrt(squares));
    }

    /// <summary>The statistics of a layer's weights and, apart, of its biases.</summary>
    /// <param name="parameters">the layer's flat buffer [W (out, in) row-major | b (out)]</param>
    public static (WeightStatistics Weights, WeightStatistics Biases) OfLayer(LayerShape shape, double[] parameters)
    {
        if (parameters.Length != shape.ParameterCount)
            throw new ArgumentException($"{parameters.Length} values for a {shape.Inputs}→{shape.Outputs} layer, which has {shape.ParameterCount}", nameof(parameters));
        return (Of(shape.Weights(parameters)), Of(shape.Biases(parameters)));
    }
}
