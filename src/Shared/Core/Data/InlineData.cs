using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>A data set written into the run spec itself (the article's single sample).</summary>
public static class InlineData
{
    public static DataSet From(DataSpec spec)
    {
        var inputs = spec.InlineInputs ?? throw new ArgumentException("the data spec has no inline inputs");
        var targets = spec.InlineTargets ?? throw new ArgumentException("the data spec has no inline targets");
        return DataSet.FromExact("inline", inputs.SelectMany(r => r).ToArray(), inputs[0].Length,
            targets.SelectMany(r => r).ToArray(), targets[0].Length);
    }
}
