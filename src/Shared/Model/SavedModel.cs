using System.Text.Json;
using System.Text.Json.Serialization;
using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>One layer of a saved model: one row of weights per neuron.</summary>
public sealed record SavedLayer(
    [property: JsonPropertyName("weights")] double[][] Weights,
    [property: JsonPropertyName("biases")] double[] Biases,
    [property: JsonPropertyName("activation")] string Activation);

/// <summary>
/// Trained weights as JSON: <c>{"layers":[{"weights":[[…],…], "biases":[…], "activation":"…"}]}</c>,
/// the layout of <c>actornet local --save</c> and of checkpoint export.
/// </summary>
public sealed record SavedModel([property: JsonPropertyName("layers")] IReadOnlyList<SavedLayer> Layers)
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    /// <param name="parameters">per layer, [W (out, in) row-major | b (out)]</param>
    public static SavedModel From(ModelLayout layout, IReadOnlyList<double[]> parameters) =>
        new(layout.Layers.Select((s, l) => new SavedLayer(
            Enumerable.Range(0, s.Outputs).Select(o => parameters[l].AsSpan(o * s.Inputs, s.Inputs).ToArray()).ToArray(),
            parameters[l].AsSpan(s.WeightCount, s.Outputs).ToArray(),
            Activations.Name(s.Activation))).ToArray());

    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        // Write beside, then move: a crash mid-write never leaves half a model under the name.
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Options));
        File.Move(temp, path, overwrite: true);
    }
}
