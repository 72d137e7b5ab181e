using System.Text;
using System.Text.Json;
using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>Writes a run spec as the JSON that <see cref="RunSpecReader"/> reads: what travels
/// to workers (each reads the spec itself) and what a stored run keeps.</summary>
public static class RunSpecWriter
{
    public static string ToJson(RunSpec spec, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("name", spec.Name);
            w.WriteNumber("seed", spec.Seed);
            w.WriteString("precision", spec.Precision == Precision.Float64 ? "float64" : "float32");
            WriteData(w, spec.Data);
            w.WriteStartArray("layers");
            foreach (var l in spec.Layers) WriteLayer(w, l);
            w.WriteEndArray();
            w.WriteString("loss", Losses.Name(spec.Loss));
            WriteOptimizer(w, spec.Optimizer);
            w.WriteNumber("batchSize", spec.BatchSize);
            w.WriteNumber("microBatches", spec.MicroBatches);
            w.WriteNumber("epochs", spec.Epochs);
            w.WriteBoolean("trainBiases", spec.TrainBiases);
            if (spec.Initializer is { } init) w.WriteString("initializer", Initializers.Name(init));
            w.WriteStartObject("sync");
            w.WriteString("mode", spec.Sync.Mode == SyncMode.Asynchronous ? "async" : "sync");
            w.WriteNumber("maxStaleness", spec.Sync.MaxStaleness);
            w.WriteEndObject();
            w.WriteStartObject("checkpoint");
            w.WriteNumber("everySteps", spec.Checkpoint.EverySteps);
            w.WriteNumber("everySeconds", spec.Checkpoint.EverySeconds);
            w.WriteNumber("keep", spec.Checkpoint.Keep);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The data section alone, as JSON: what identifies a data set (equal text, equal data).</summary>
    public static string DataJson(DataSpec data)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            WriteData(w, data);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteData(Utf8JsonWriter w, DataSpec d)
    {
        w.WriteStartObject("data");
        if (d.Builtin is not null)
        {
            w.WriteString("builtin", d.Builtin);
            w.WriteNumber("samples", d.Samples);
            if (d.Noise is { } noise) w.WriteNumber("noise", noise);
        }
        if (d.Train is not null) w.WriteString("train", d.Train);
        if (d.Test is not null) w.WriteString("test", d.Test);
        if (d.LabelColumn is not null) w.WriteString("labelColumn", d.LabelColumn);
        if (d.InlineInputs is { } inputs)
        {
            w.WriteStartObject("inline");
            WriteRows(w, "inputs", inputs);
            WriteRows(w, "targets", d.InlineTargets ?? []);
            w.WriteEndObject();
        }
        w.WriteNumber("testFraction", d.TestFraction);
        w.WriteString("scaling", d.Scaling);
        if (d.MaxTrainSamples is { } max) w.WriteNumber("maxTrainSamples", max);
        w.WriteEndObject();
    }

    private static void WriteLayer(Utf8JsonWriter w, LayerSpec l)
    {
        w.WriteStartObject();
        w.WriteNumber("size", l.Size);
        w.WriteString("activation", Activations.Name(l.Activation));
        w.WriteNumber("groups", l.Groups);
        if (l.Initializer is { } init) w.WriteString("initializer", Initializers.Name(init));
        if (l.Weights is { } weights)
            WriteRows(w, "weights", Enumerable.Range(0, l.Size).Select(r => weights.AsSpan(r * l.WeightColumns, l.WeightColumns).ToArray()).ToArray());
        if (l.Biases is { } biases)
        {
            w.WriteStartArray("biases");
            foreach (var b in biases) w.WriteNumberValue(b);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteOptimizer(Utf8JsonWriter w, OptimizerSettings o)
    {
        w.WriteStartObject("optimizer");
        w.WriteString("kind", OptimizerSettings.KindNames[(int)o.Kind]);
        w.WriteNumber("learningRate", o.LearningRate);
        if (o.Kind == OptimizerKind.Momentum)
        {
            w.WriteNumber("momentum", o.Momentum);
            w.WriteBoolean("nesterov", o.Nesterov);
        }
        if (o.Kind == OptimizerKind.Adam)
        {
            w.WriteNumber("beta1", o.Beta1);
            w.WriteNumber("beta2", o.Beta2);
            w.WriteNumber("epsilon", o.Epsilon);
        }
        w.WriteNumber("weightDecay", o.WeightDecay);
        w.WriteEndObject();
    }

    private static void WriteRows(Utf8JsonWriter w, string name, double[][] rows)
    {
        w.WriteStartArray(name);
        foreach (var row in rows)
        {
            w.WriteStartArray();
            foreach (var v in row) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
