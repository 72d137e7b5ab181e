using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using ActorNet.Data;
using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>One layer of a saved model: one row of weights per neuron.</summary>
public sealed record SavedLayer(
    [property: JsonPropertyName("weights")] double[][] Weights,
    [property: JsonPropertyName("biases")] double[] Biases,
    [property: JsonPropertyName("activation")] string Activation);

/// <summary>The input scaling fitted on the training set, as <see cref="Scaler"/> applies it:
/// feature j of a raw input becomes (x − Offsets[j]) / Divisors[j], or 0 where Divisors[j] is 0.
/// <paramref name="Kind"/> is the run spec's name of the scaling (minMax, standardize,
/// unitRange); the offsets and divisors alone define the mapping.</summary>
public sealed record SavedScaling(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("offsets")] double[] Offsets,
    [property: JsonPropertyName("divisors")] double[] Divisors);

/// <summary>
/// Trained weights as JSON, the layout of <c>actornet local --save</c> and of checkpoint export:
/// <code>
/// {"layers":[{"weights":[[…],…], "biases":[…], "activation":"…"}, …],
///  "scaling":{"kind":"standardize","offsets":[…],"divisors":[…]},
///  "classes":["inner","outer"], "loss":"softmaxCrossEntropy"}
/// </code>
/// Only <c>layers</c> is required (files written before the other fields existed load as they
/// are); <c>scaling</c> is what raw inputs need before the first layer, <c>classes</c> names
/// output i (or, for a single output, class 0 and 1), <c>loss</c> is the one trained with.
/// </summary>
public sealed record SavedModel([property: JsonPropertyName("layers")] IReadOnlyList<SavedLayer> Layers)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Scaling of raw inputs, fitted on the training set; null when the run had none.</summary>
    [JsonPropertyName("scaling")]
    public SavedScaling? Scaling { get; init; }

    /// <summary>Names of the classes, index i naming class i; null when the data had none.</summary>
    [JsonPropertyName("classes")]
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>The run spec's name of the loss trained with; null when not recorded.</summary>
    [JsonPropertyName("loss")]
    public string? Loss { get; init; }

    /// <param name="parameters">per layer, [W (out, in) row-major | b (out)]</param>
    /// <param name="scaler">the scaling the data loader applied (null: none)</param>
    /// <param name="classes">the training set's class names (null: unnamed)</param>
    /// <param name="loss">the run's loss (null: not recorded)</param>
    public static SavedModel From(ModelLayout layout, IReadOnlyList<double[]> parameters,
        Scaler? scaler = null, IReadOnlyList<string>? classes = null, Numerics.Loss? loss = null) =>
        new(layout.Layers.Select((s, l) => new SavedLayer(
            Enumerable.Range(0, s.Outputs).Select(o => parameters[l].AsSpan(o * s.Inputs, s.Inputs).ToArray()).ToArray(),
            parameters[l].AsSpan(s.WeightCount, s.Outputs).ToArray(),
            Activations.Name(s.Activation))).ToArray())
        {
            Scaling = scaler is null ? null : new SavedScaling(Scaler.Name(scaler.Kind), [.. scaler.Offsets], [.. scaler.Divisors]),
            Classes = classes?.ToArray(),
            Loss = loss is { } l ? Losses.Name(l) : null,
        };

    /// <summary>Reads a model written by <see cref="Save"/> (or by hand) and checks that its layers
    /// fit together; throws <see cref="ModelFormatException"/> naming the file and the first
    /// problem.</summary>
    public static SavedModel Load(string path)
    {
        if (Directory.Exists(path)) throw new ModelFormatException(path, "is a folder, not a model file");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFormatException(path, "no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot be read: {e.Message}", e);
        }

        SavedModel? model;
        try
        {
            model = JsonSerializer.Deserialize<SavedModel>(text, Options);
        }
        catch (JsonException e)
        {
            throw ModelFormatException.AtLine(path, (int)(e.LineNumber ?? 0) + 1, $"not a saved model: {Describe(e)}", e);
        }
        if (model is null) throw new ModelFormatException(path, "not a saved model: the file holds JSON null");
        if (model.FindProblem() is { } problem) throw new ModelFormatException(path, problem);
        return model;
    }

    /// <summary>The first thing that keeps this model from being run, with its place
    /// (<c>layers[1].weights: …</c>); null when every layer fits the one before, the scaling
    /// fits the inputs and the classes fit the outputs.</summary>
    public string? FindProblem()
    {
        if (Layers is null || Layers.Count == 0)
            return """no layers; a model is {"layers":[{"weights":[[…],…],"biases":[…],"activation":"…"},…]}""";
        for (var l = 0; l < Layers.Count; l++)
            if (LayerProblem(l) is { } problem) return problem;
        return ScalingProblem() ?? ClassesProblem() ?? LossProblem();
    }

    private string? LayerProblem(int l)
    {
        var layer = Layers[l];
        var at = $"layers[{l}]";
        if (layer is null) return $"{at}: null, expected {{\"weights\",\"biases\",\"activation\"}}";
        if (layer.Weights is null) return $"{at}.weights: missing";
        if (layer.Biases is null) return $"{at}.biases: missing";
        if (layer.Activation is null) return $"{at}.activation: missing";
        if (!Activations.TryParse(layer.Activation, out _))
            return $"{at}.activation: unknown '{layer.Activation}' (expected one of: {string.Join(", ", Activations.Names)})";
        if (layer.Weights.Length == 0) return $"{at}.weights: no rows; a layer needs at least one neuron";
        for (var r = 0; r < layer.Weights.Length; r++)
        {
            if (layer.Weights[r] is null || layer.Weights[r].Length == 0) return $"{at}.weights[{r}]: no values; a neuron needs at least one input";
            if (layer.Weights[r].Length != layer.Weights[0].Length)
                return $"{at}.weights[{r}]: {layer.Weights[r].Length} values, but row 0 has {layer.Weights[0].Length}";
        }
        if (layer.Biases.Length != layer.Weights.Length)
            return $"{at}.biases: {layer.Biases.Length} values for {layer.Weights.Length} neurons (rows of weights)";
        if (l > 0 && layer.Weights[0].Length != Layers[l - 1].Weights.Length)
            return $"{at}.weights: rows of {layer.Weights[0].Length} values, but layers[{l - 1}] has {Layers[l - 1].Weights.Length} neurons (a row takes one value per neuron of the layer before)";
        return null;
    }

    private string? ScalingProblem()
    {
        if (Scaling is null) return null;
        if (Scaling.Kind is null || !Scaler.TryParse(Scaling.Kind, out _))
            return $"scaling.kind: {(Scaling.Kind is null ? "missing" : $"unknown '{Scaling.Kind}'")} (expected one of: {string.Join(", ", Scaler.Names)})";
        var inputs = Layers[0].Weights[0].Length;
        if (Scaling.Offsets is null) return "scaling.offsets: missing";
        if (Scaling.Divisors is null) return "scaling.divisors: missing";
        if (Scaling.Offsets.Length != inputs) return $"scaling.offsets: {Scaling.Offsets.Length} values, but layers[0] takes {inputs} inputs";
        if (Scaling.Divisors.Length != inputs) return $"scaling.divisors: {Scaling.Divisors.Length} values, but layers[0] takes {inputs} inputs";
        return null;
    }

    private string? ClassesProblem()
    {
        if (Classes is null) return null;
        for (var k = 0; k < Classes.Count; k++)
            if (string.IsNullOrEmpty(Classes[k])) return $"classes[{k}]: empty; a class needs a name";
        var outputs = Layers[^1].Biases.Length;
        if (Classes.Count == outputs || (outputs == 1 && Classes.Count == 2)) return null;
        return $"classes: {Classes.Count} names, but the last layer (layers[{Layers.Count - 1}]) has {outputs} neurons{(outputs == 1 ? " (a single output names 2 classes)" : "")}";
    }

    private string? LossProblem() =>
        Loss is null || Losses.TryParse(Loss, out _) ? null : $"loss: unknown '{Loss}' (expected one of: {string.Join(", ", Losses.Names)})";

    /// <summary>The shapes of the layers (one neuron group each). The model must be sound
    /// (<see cref="FindProblem"/> null), as <see cref="Load"/> makes sure.</summary>
    public ModelLayout ToLayout()
    {
        ThrowIfUnsound();
        return new ModelLayout(Layers[0].Weights[0].Length, Layers.Select(l =>
        {
            Activations.TryParse(l.Activation, out var activation);
            return new LayerShape(l.Weights[0].Length, l.Biases.Length, activation, Groups: 1);
        }).ToArray());
    }

    /// <summary>Per layer, the flat buffer [W (out, in) row-major | b (out)] that
    /// <see cref="Training.Inference.Forward"/> and the layer actors take.</summary>
    public T[][] ToParameters<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowIfUnsound();
        return Layers.Select(l =>
        {
            var p = new List<T>(l.Biases.Length * (l.Weights[0].Length + 1));
            foreach (var row in l.Weights) p.AddRange(row.Select(T.CreateChecked));
            p.AddRange(l.Biases.Select(T.CreateChecked));
            return p.ToArray();
        }).ToArray();
    }

    /// <summary>The scaling raw inputs need before the first layer; null when there is none.</summary>
    public Scaler? ToScaler()
    {
        ThrowIfUnsound();
        if (Scaling is null) return null;
        Scaler.TryParse(Scaling.Kind, out var kind);
        return Scaler.FromParameters(kind, Scaling.Offsets, Scaling.Divisors);
    }

    public void Save(string path) => ModelFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, Options));

    private void ThrowIfUnsound()
    {
        if (FindProblem() is { } problem) throw new InvalidOperationException($"the model cannot be used: {problem}");
    }

    /// <summary>System.Text.Json's message without its " Path: … | LineNumber: …" tail (the caller
    /// gives the line) and without .NET type names.</summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        var tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (tail >= 0) message = message[..tail];
        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
            message = "a value of the wrong kind (e.g. text where a number or a list belongs)";
        return e.Path is null or "$" ? message : $"{e.Path}: {message}";
    }
}
