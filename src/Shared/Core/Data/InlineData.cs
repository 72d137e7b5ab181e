using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>A data set written into the run spec itself (the article's single sample).</summary>
public static class InlineData
{
    /// <summary>The rows as a float64 set, every digit the spec gives kept (the article's 0.05 and
    /// 0.99); <see cref="DataSet.ToPrecision"/> rounds them for a float32 run.</summary>
    public static DataSet From(DataSpec spec)
    {
        var inputs = spec.InlineInputs ?? throw new ArgumentException("the data spec has no inline inputs");
        var targets = spec.InlineTargets ?? throw new ArgumentException("the data spec has no inline targets");
        return DataSet.FromDoubles("inline", inputs.SelectMany(r => r).ToArray(), inputs[0].Length, labels: null, classes: 0,
            targets.SelectMany(r => r).ToArray(), targets[0].Length);
    }
}
