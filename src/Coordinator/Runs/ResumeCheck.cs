using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;

namespace ActorNet.Coordinator.Runs;

/// <summary>Whether what a run's journal holds can continue under the spec it is started with
/// again: the same layer shapes, the same seed, no more steps than the spec has. Null when it
/// fits, else why not, in words for the user.</summary>
public static class ResumeCheck
{
    /// <summary>A checkpoint against this spec.</summary>
    public static string? Misfit(ModelLayout layout, RunSpec spec, RunSchedule schedule, long step, IEnumerable<int> parameterCounts, ulong seed)
    {
        if (step > schedule.TotalSteps) return $"the checkpoint is after step {step}, the spec has only {schedule.TotalSteps} steps";
        return Misfit(layout, spec, $"the checkpoint after step {step}", parameterCounts.ToArray(), seed);
    }

    /// <summary>The spec the run was started with (a run with no checkpoint yet) against this one.</summary>
    public static string? Misfit(ModelLayout layout, RunSpec spec, RunStarted started)
    {
        RunSpec stored;
        try
        {
            stored = RunSpecReader.Parse(started.SpecJson, $"run {started.RunId} journal", "run");
        }
        catch (RunSpecException e)
        {
            return $"its journal's spec cannot be read: {e.Errors[0]}";
        }
        var storedLayout = ModelLayout.From(stored, started.Inputs);
        return Misfit(layout, spec, "the run's journal", storedLayout.Layers.Select(l => l.ParameterCount).ToArray(), stored.Seed);
    }

    /// <param name="what">what holds the stored shapes, for the message</param>
    private static string? Misfit(ModelLayout layout, RunSpec spec, string what, int[] storedParameters, ulong storedSeed)
    {
        var layers = layout.Layers;
        if (storedParameters.Length != layers.Count)
            return $"{what} has {storedParameters.Length} layers, the spec {layers.Count}";
        for (var l = 0; l < layers.Count; l++)
            if (storedParameters[l] != layers[l].ParameterCount)
                return $"layer {l} of {what} has {storedParameters[l]} parameters, the spec's layer {l} ({layers[l].Inputs}→{layers[l].Outputs}) has {layers[l].ParameterCount}";
        if (storedSeed != spec.Seed) return $"{what} has seed {storedSeed}, the spec {spec.Seed}";
        return null;
    }
}
