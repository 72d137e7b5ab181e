using System.Text.Json;
using ActorNet.Numerics;

namespace ActorNet.Model;

/// <summary>Every mistake found in a run spec, each naming its place
/// (<c>layers[1].activation: unknown 'relu6' (expected one of: ...)</c>).</summary>
public sealed class RunSpecException(string source, IReadOnlyList<string> errors)
    : Exception($"{source}: {errors.Count} error(s) in the run spec:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
{
    public string SpecSource { get; } = source;
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads a run spec from JSON and validates it, collecting every mistake before failing.
/// </summary>
/// <remarks>
/// The format (all keys camelCase; defaults in <see cref="RunSpec"/>):
/// <code>
/// {
///   "name": "circles", "seed": 7, "precision": "float32" | "float64",
///   "data": { "builtin": "circles", "samples": 1000, "noise": 0.08, "testFraction": 0.25,
///             "train": "train.csv" | "/usr/share/datasets/fashion-mnist", "test": "test.csv",
///             "labelColumn": "label", "scaling": "none|minMax|standardize|unitRange",
///             "maxTrainSamples": 10000,
///             "inline": { "inputs": [[0.05, 0.10]], "targets": [[0.01, 0.99]] } },
///   "layers": [ { "size": 16, "activation": "tanh", "groups": 2, "initializer": "glorotUniform",
///                 "weights": [[...], ...], "biases": [...] }, ... ],
///   "loss": "sse|mse|softmaxCrossEntropy|binaryCrossEntropy",
///   "optimizer": { "kind": "sgd|momentum|adam", "learningRate": 0.1, "momentum": 0.9,
///                  "nesterov": false, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0 },
///   "batchSize": 32, "microBatches": 1, "epochs": 10, "trainBiases": true, "initializer": "heNormal",
///   "sync": { "mode": "sync" | "async", "maxStaleness": 2 },
///   "checkpoint": { "everySteps": 0, "everySeconds": 60, "keep": 3 }
/// }
/// </code>
/// A "description" key may hold free text anywhere at the top level.
/// </remarks>
public static class RunSpecReader
{
    private static readonly string[] TopKeys = ["name", "description", "seed", "precision", "data", "layers", "loss", "optimizer", "batchSize", "microBatches", "epochs", "trainBiases", "initializer", "sync", "checkpoint"];
    private static readonly string[] DataKeys = ["builtin", "samples", "noise", "train", "test", "labelColumn", "testFraction", "scaling", "inline", "maxTrainSamples"];
    private static readonly string[] LayerKeys = ["size", "activation", "groups", "initializer", "weights", "biases"];
    private static readonly string[] OptimizerKeys = ["kind", "learningRate", "momentum", "nesterov", "beta1", "beta2", "epsilon", "weightDecay"];
    private static readonly string[] BuiltinSets = ["circles", "moons", "spirals", "xor"];
    private static readonly string[] ScalingNames = ["none", "minMax", "standardize", "unitRange"];
    private static readonly string[] PrecisionNames = ["float32", "float64"];

    public static RunSpec Load(string path)
    {
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunSpecException(path, [$"cannot read the file: {e.Message}"]);
        }
        return Parse(json, path, Path.GetFileNameWithoutExtension(path));
    }

    public static RunSpec Parse(string json, string source = "spec", string defaultName = "run")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            // JsonException counts lines and bytes from 0; people count from 1.
            throw new RunSpecException(source, [$"line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: not valid JSON ({FirstSentence(e.Message)})"]);
        }
        using (doc)
        {
            var r = new Reader();
            var spec = r.ReadSpec(doc.RootElement, defaultName);
            if (r.Errors.Count > 0 || spec is null) throw new RunSpecException(source, r.Errors);
            return spec;
        }
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i < 0 ? message.TrimEnd('.') : message[..i];
    }

    /// <summary>One pass over the document; every problem goes into <see cref="Errors"/>.</summary>
    private sealed class Reader
    {
        public List<string> Errors { get; } = [];

        private void Error(string path, string message) => Errors.Add($"{path}: {message}");

        public RunSpec? ReadSpec(JsonElement root, string defaultName)
        {
            if (root.ValueKind != JsonValueKind.Object) { Error("(root)", $"expected an object, found {Kind(root)}"); return null; }
            CheckKeys(root, "", TopKeys);

            var name = String(root, "", "name") ?? defaultName;
            var seed = root.TryGetProperty("seed", out var seedEl) ? ReadSeed(seedEl) : 1UL;
            var precision = Choice(root, "", "precision", PrecisionNames, "float32") == "float64" ? Precision.Float64 : Precision.Float32;
            var data = Required(root, "", "data", JsonValueKind.Object) is { } d ? ReadData(d) : null;
            var layers = ReadLayers(root);
            var loss = ReadNamed<Loss>(root, "", "loss", Losses.Names, Losses.TryParse, required: true);
            var optimizer = Required(root, "", "optimizer", JsonValueKind.Object) is { } o ? ReadOptimizer(o) : null;
            var batch = Int(root, "", "batchSize", 32, min: 1);
            var micro = Int(root, "", "microBatches", 1, min: 1);
            var epochs = Int(root, "", "epochs", 10, min: 1);
            var trainBiases = Bool(root, "", "trainBiases", true);
            var init = ReadNamed<Initializer>(root, "", "initializer", Initializers.Names, Initializers.TryParse, required: false);
            var sync = root.TryGetProperty("sync", out var syncEl) ? ReadSync(syncEl) : new SyncSpec();
            var checkpoint = root.TryGetProperty("checkpoint", out var checkpointEl) ? ReadCheckpoint(checkpointEl) : new CheckpointSpec();

            if (micro > batch) Error("microBatches", $"{micro} micro-batches cannot be cut from a batch of {batch}");
            if (layers is { Count: > 0 } && loss is { } l)
            {
                var last = layers[^1];
                if (Losses.CheckOutputActivation(l, last.Activation) is { } problem) Error($"layers[{layers.Count - 1}].activation", problem);
            }
            if (layers is not null)
                for (var i = 0; i < layers.Count - 1; i++)
                    if (layers[i].Activation == Activation.Softmax)
                        Error($"layers[{i}].activation", "softmax is only allowed on the last layer");
            if (layers is not null)
                for (var i = 1; i < layers.Count; i++)
                    if (layers[i].Weights is not null && layers[i].WeightColumns != layers[i - 1].Size)
                        Error($"layers[{i}].weights", $"rows have {layers[i].WeightColumns} columns, but layer {i - 1} has {layers[i - 1].Size} neurons");

            if (Errors.Count > 0 || data is null || layers is null || loss is null || optimizer is null) return null;
            return new RunSpec
            {
                Name = name, Seed = seed, Precision = precision, Data = data, Layers = layers, Loss = loss.Value,
                Optimizer = optimizer, BatchSize = batch, MicroBatches = micro, Epochs = epochs,
                TrainBiases = trainBiases, Initializer = init, Sync = sync, Checkpoint = checkpoint,
            };
        }

        private CheckpointSpec ReadCheckpoint(JsonElement el)
        {
            if (el.ValueKind != JsonValueKind.Object) { Error("checkpoint", $"expected an object, found {Kind(el)}"); return new CheckpointSpec(); }
            CheckKeys(el, "checkpoint", ["everySteps", "everySeconds", "keep"]);
            return new CheckpointSpec
            {
                EverySteps = Int(el, "checkpoint", "everySteps", 0, min: 0),
                EverySeconds = Int(el, "checkpoint", "everySeconds", 60, min: 0),
                Keep = Int(el, "checkpoint", "keep", 3, min: 1),
            };
        }

        private SyncSpec ReadSync(JsonElement el)
        {
            if (el.ValueKind != JsonValueKind.Object) { Error("sync", $"expected an object, found {Kind(el)}"); return new SyncSpec(); }
            CheckKeys(el, "sync", ["mode", "maxStaleness"]);
            var mode = Choice(el, "sync", "mode", ["sync", "async"], "sync");
            return new SyncSpec
            {
                Mode = mode == "async" ? SyncMode.Asynchronous : SyncMode.Synchronous,
                MaxStaleness = Int(el, "sync", "maxStaleness", 2, min: 0),
            };
        }

        private ulong ReadSeed(JsonElement el)
        {
            if (el.ValueKind == JsonValueKind.Number && el.TryGetUInt64(out var s)) return s;
            Error("seed", $"expected a whole number from 0 to {ulong.MaxValue}, found {Show(el)}");
            return 1;
        }

        private DataSpec? ReadData(JsonElement d)
        {
            const string p = "data";
            CheckKeys(d, p, DataKeys);
            var builtin = String(d, p, "builtin");
            var train = String(d, p, "train");
            var test = String(d, p, "test");
            double[][]? inputs = null, targets = null;
            if (d.TryGetProperty("inline", out var inl))
            {
                if (inl.ValueKind != JsonValueKind.Object) Error("data.inline", $"expected an object with inputs and targets, found {Kind(inl)}");
                else
                {
                    CheckKeys(inl, "data.inline", ["inputs", "targets"]);
                    inputs = Matrix(inl, "data.inline", "inputs", required: true, out _);
                    targets = Matrix(inl, "data.inline", "targets", required: true, out _);
                    if (inputs is not null && targets is not null && inputs.Length != targets.Length)
                        Error("data.inline.targets", $"{targets.Length} target rows for {inputs.Length} input rows");
                }
            }
            var sources = (builtin is null ? 0 : 1) + (train is null ? 0 : 1) + (d.TryGetProperty("inline", out _) ? 1 : 0);
            if (sources != 1) Error(p, $"give exactly one of builtin, train or inline (found {sources})");
            if (builtin is not null && !BuiltinSets.Contains(builtin, StringComparer.OrdinalIgnoreCase))
                Error("data.builtin", $"unknown '{builtin}' (expected one of: {string.Join(", ", BuiltinSets)})");
            if (test is not null && train is null) Error("data.test", "a test file needs a train file");
            var noise = Double(d, p, "noise", null, min: 0);
            var fraction = Double(d, p, "testFraction", 0.2, min: 0) ?? 0.2;
            if (fraction >= 1) Error("data.testFraction", $"must be below 1, found {fraction}");
            return new DataSpec
            {
                Builtin = builtin?.ToLowerInvariant(),
                Samples = Int(d, p, "samples", 1000, min: 4),
                Noise = noise,
                Train = train,
                Test = test,
                LabelColumn = d.TryGetProperty("labelColumn", out var lc) ? (lc.ValueKind == JsonValueKind.Number ? lc.GetRawText() : String(d, p, "labelColumn")) : null,
                TestFraction = fraction,
                Scaling = Choice(d, p, "scaling", ScalingNames, "none"),
                InlineInputs = inputs,
                InlineTargets = targets,
                MaxTrainSamples = d.TryGetProperty("maxTrainSamples", out _) ? Int(d, p, "maxTrainSamples", 0, min: 1) : null,
            };
        }

        private List<LayerSpec>? ReadLayers(JsonElement root)
        {
            if (Required(root, "", "layers", JsonValueKind.Array) is not { } arr) return null;
            if (arr.GetArrayLength() == 0) { Error("layers", "a model needs at least one layer"); return null; }
            var layers = new List<LayerSpec>();
            var i = 0;
            foreach (var el in arr.EnumerateArray())
            {
                var p = $"layers[{i++}]";
                if (el.ValueKind != JsonValueKind.Object) { Error(p, $"expected an object, found {Kind(el)}"); continue; }
                CheckKeys(el, p, LayerKeys);
                var size = Int(el, p, "size", 0, min: 1, required: true);
                var activation = ReadNamed<Activation>(el, p, "activation", Activations.Names, Activations.TryParse, required: true);
                var groups = Int(el, p, "groups", 1, min: 1);
                if (size > 0 && groups > size) Error($"{p}.groups", $"{groups} groups for {size} neurons: each group needs at least one neuron");
                var init = ReadNamed<Initializer>(el, p, "initializer", Initializers.Names, Initializers.TryParse, required: false);
                var weights = Matrix(el, p, "weights", required: false, out var columns);
                if (weights is not null && size > 0 && weights.Length != size)
                    Error($"{p}.weights", $"{weights.Length} rows, but the layer has {size} neurons (one row per neuron)");
                var biases = Vector(el, p, "biases");
                if (biases is not null && size > 0 && biases.Length != size)
                    Error($"{p}.biases", $"{biases.Length} values, but the layer has {size} neurons");
                layers.Add(new LayerSpec
                {
                    Size = size, Activation = activation ?? Activation.Identity, Groups = groups, Initializer = init,
                    Weights = weights?.SelectMany(r => r).ToArray(), Biases = biases, WeightColumns = columns,
                });
            }
            return layers;
        }

        private OptimizerSettings? ReadOptimizer(JsonElement o)
        {
            const string p = "optimizer";
            CheckKeys(o, p, OptimizerKeys);
            var kindName = Choice(o, p, "kind", OptimizerSettings.KindNames.ToArray(), null);
            var lr = Double(o, p, "learningRate", null, min: 0, required: true);
            var kind = kindName?.ToLowerInvariant() switch { "momentum" => OptimizerKind.Momentum, "adam" => OptimizerKind.Adam, _ => OptimizerKind.Sgd };
            var s = new OptimizerSettings(kind, lr ?? 0.01);
            var beta1 = Double(o, p, "beta1", s.Beta1, min: 0) ?? s.Beta1;
            var beta2 = Double(o, p, "beta2", s.Beta2, min: 0) ?? s.Beta2;
            if (beta1 >= 1) Error("optimizer.beta1", $"must be below 1, found {beta1}");
            if (beta2 >= 1) Error("optimizer.beta2", $"must be below 1, found {beta2}");
            var momentum = Double(o, p, "momentum", s.Momentum, min: 0) ?? s.Momentum;
            if (momentum >= 1) Error("optimizer.momentum", $"must be below 1, found {momentum}");
            var nesterov = Bool(o, p, "nesterov", false);
            if (nesterov && kind != OptimizerKind.Momentum) Error("optimizer.nesterov", "only applies to kind 'momentum'");
            return s with
            {
                Momentum = momentum, Nesterov = nesterov, Beta1 = beta1, Beta2 = beta2,
                Epsilon = Double(o, p, "epsilon", s.Epsilon, min: 0) ?? s.Epsilon,
                WeightDecay = Double(o, p, "weightDecay", 0, min: 0) ?? 0,
            };
        }

        // ---- small typed readers: each reports a wrong or missing value at its path ----

        private void CheckKeys(JsonElement obj, string path, string[] known)
        {
            foreach (var prop in obj.EnumerateObject())
                if (!known.Contains(prop.Name))
                    Error(Join(path, prop.Name), $"unknown key (expected one of: {string.Join(", ", known)})");
        }

        private JsonElement? Required(JsonElement obj, string path, string key, JsonValueKind kind)
        {
            if (!obj.TryGetProperty(key, out var el)) { Error(Join(path, key), "missing"); return null; }
            if (el.ValueKind != kind) { Error(Join(path, key), $"expected {Article(kind)}, found {Kind(el)}"); return null; }
            return el;
        }

        private string? String(JsonElement obj, string path, string key)
        {
            if (!obj.TryGetProperty(key, out var el) || el.ValueKind == JsonValueKind.Null) return null;
            if (el.ValueKind == JsonValueKind.String) return el.GetString();
            Error(Join(path, key), $"expected a string, found {Kind(el)}");
            return null;
        }

        private string Choice(JsonElement obj, string path, string key, string[] names, string? fallback)
        {
            var s = String(obj, path, key);
            if (s is null)
            {
                if (fallback is null && !obj.TryGetProperty(key, out _)) Error(Join(path, key), $"missing (expected one of: {string.Join(", ", names)})");
                return fallback ?? names[0];
            }
            var match = names.FirstOrDefault(n => string.Equals(n, s, StringComparison.OrdinalIgnoreCase));
            if (match is null) Error(Join(path, key), $"unknown '{s}' (expected one of: {string.Join(", ", names)})");
            return match ?? names[0];
        }

        private delegate bool TryParser<TEnum>(string name, out TEnum value);

        private TEnum? ReadNamed<TEnum>(JsonElement obj, string path, string key, IReadOnlyList<string> names, TryParser<TEnum> parse, bool required)
            where TEnum : struct
        {
            var s = String(obj, path, key);
            if (s is null)
            {
                if (required && !obj.TryGetProperty(key, out _)) Error(Join(path, key), $"missing (expected one of: {string.Join(", ", names)})");
                return null;
            }
            if (parse(s, out var value)) return value;
            Error(Join(path, key), $"unknown '{s}' (expected one of: {string.Join(", ", names)})");
            return null;
        }

        private int Int(JsonElement obj, string path, string key, int fallback, int min, bool required = false)
        {
            if (!obj.TryGetProperty(key, out var el))
            {
                if (required) Error(Join(path, key), "missing");
                return fallback;
            }
            if (el.ValueKind != JsonValueKind.Number || !el.TryGetInt32(out var v))
            {
                Error(Join(path, key), $"expected a whole number, found {Show(el)}");
                return fallback;
            }
            if (v < min) { Error(Join(path, key), $"must be at least {min}, found {v}"); return fallback; }
            return v;
        }

        private double? Double(JsonElement obj, string path, string key, double? fallback, double min, bool required = false)
        {
            if (!obj.TryGetProperty(key, out var el))
            {
                if (required) Error(Join(path, key), "missing");
                return fallback;
            }
            if (el.ValueKind != JsonValueKind.Number || !el.TryGetDouble(out var v) || !double.IsFinite(v))
            {
                Error(Join(path, key), $"expected a number, found {Show(el)}");
                return fallback;
            }
            if (v < min) { Error(Join(path, key), $"must be at least {min}, found {v}"); return fallback; }
            return v;
        }

        private bool Bool(JsonElement obj, string path, string key, bool fallback)
        {
            if (!obj.TryGetProperty(key, out var el)) return fallback;
            if (el.ValueKind is JsonValueKind.True or JsonValueKind.False) return el.GetBoolean();
            Error(Join(path, key), $"expected true or false, found {Show(el)}");
            return fallback;
        }

        private double[]? Vector(JsonElement obj, string path, string key)
        {
            if (!obj.TryGetProperty(key, out var el)) return null;
            var p = Join(path, key);
            if (el.ValueKind != JsonValueKind.Array) { Error(p, $"expected an array of numbers, found {Kind(el)}"); return null; }
            var values = new double[el.GetArrayLength()];
            var i = 0;
            var ok = true;
            foreach (var x in el.EnumerateArray())
            {
                if (x.ValueKind == JsonValueKind.Number && x.TryGetDouble(out var v) && double.IsFinite(v)) values[i] = v;
                else { Error($"{p}[{i}]", $"expected a number, found {Show(x)}"); ok = false; }
                i++;
            }
            return ok ? values : null;
        }

        private double[][]? Matrix(JsonElement obj, string path, string key, bool required, out int columns)
        {
            columns = 0;
            var p = Join(path, key);
            if (!obj.TryGetProperty(key, out var el))
            {
                if (required) Error(p, "missing");
                return null;
            }
            if (el.ValueKind != JsonValueKind.Array || el.GetArrayLength() == 0) { Error(p, $"expected a non-empty array of rows, found {Show(el)}"); return null; }
            var rows = new List<double[]>();
            var i = 0;
            var ok = true;
            foreach (var row in el.EnumerateArray())
            {
                var rp = $"{p}[{i}]";
                if (row.ValueKind != JsonValueKind.Array) { Error(rp, $"expected a row (an array of numbers), found {Kind(row)}"); ok = false; i++; continue; }
                var values = new double[row.GetArrayLength()];
                var j = 0;
                foreach (var x in row.EnumerateArray())
                {
                    if (x.ValueKind == JsonValueKind.Number && x.TryGetDouble(out var v) && double.IsFinite(v)) values[j] = v;
                    else { Error($"{rp}[{j}]", $"expected a number, found {Show(x)}"); ok = false; }
                    j++;
                }
                if (i == 0) columns = values.Length;
                else if (values.Length != columns) { Error(rp, $"{values.Length} values, but row 0 has {columns}"); ok = false; }
                rows.Add(values);
                i++;
            }
            if (columns == 0 && ok) { Error(p, "rows are empty"); ok = false; }
            return ok ? rows.ToArray() : null;
        }

        private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

        private static string Kind(JsonElement el) => el.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        };

        private static string Article(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => kind.ToString().ToLowerInvariant(),
        };

        private static string Show(JsonElement el) => el.ValueKind switch
        {
            JsonValueKind.String => $"'{el.GetString()}'",
            JsonValueKind.Number => el.GetRawText(),
            _ => Kind(el),
        };
    }
}
