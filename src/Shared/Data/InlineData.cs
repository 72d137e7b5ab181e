using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>A data set written into the run spec itself (the article's single sample).</summary>
public static class InlineData
{
    public static DataSet From(DataSpec spec)
    {
        var inputs = spec.InlineInputs ?? throw new ArgumentException("the data spec has no inline inputs");
        var targets = spec.InlineTargets ?? throw new ArgumentException("the data spec has no inline targets");
        return new DataSet("inline",
            inputs.SelectMany(r => r).Select(v => (float)v).ToArray(), inputs[0].Length, labels: null, classes: 0,
            targets.SelectMany(r => r).Select(v => (float)v).ToArray(), targets[0].Length);
    }
}
