using System.Globalization;
using System.Text.Json;
using ActorNet.Model;
using ActorNet.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ActorNet.Cli;

/// <summary>A trained model that maps raw feature rows to outputs: ours as JSON (run by
/// <see cref="Inference"/>, in float64, after the saved scaling), or an ONNX model (run by ONNX
/// Runtime, in float32; its graph holds the scaling when ActorNet exported it).</summary>
internal abstract class Predictor : IDisposable
{
    /// <summary>Features per row the model takes.</summary>
    public abstract int Inputs { get; }

    /// <summary>Names of the classes, index i naming class i; null when the model has none.</summary>
    public abstract IReadOnlyList<string>? Classes { get; }

    /// <summary>x: (rows, Inputs) raw, row-major → (rows, outputs) row-major.</summary>
    public abstract double[] Predict(float[] x, int rows);

    /// <summary>A file ending in .onnx is run by ONNX Runtime; any other is read as ActorNet's
    /// JSON. Throws <see cref="ModelFormatException"/> naming the file.</summary>
    public static Predictor Open(string path) =>
        Path.GetExtension(path).Equals(".onnx", StringComparison.OrdinalIgnoreCase) ? new OnnxPredictor(path) : new JsonPredictor(SavedModel.Load(path));

    public virtual void Dispose()
    {
    }

    private sealed class JsonPredictor(SavedModel model) : Predictor
    {
        private readonly ModelLayout _layout = model.ToLayout();
        private readonly double[][] _parameters = model.ToParameters<double>();
        private readonly Data.Scaler? _scaler = model.ToScaler();

        public override int Inputs => _layout.Inputs;
        public override IReadOnlyList<string>? Classes => model.Classes;

        public override double[] Predict(float[] x, int rows)
        {
            // Scaled in float32 as the data loader scales training data, then run in float64.
            var scaled = _scaler?.Apply(x) ?? x;
            return Inference.Forward(_layout, _parameters, Array.ConvertAll(scaled, v => (double)v), rows);
        }
    }

    /// <summary>Any ONNX model whose first input is a float matrix [N, features]; its first
    /// output is the prediction.</summary>
    private sealed class OnnxPredictor : Predictor
    {
        private readonly string _path;
        private readonly InferenceSession _session;
        private readonly string _input;
        private readonly string _output;

        public OnnxPredictor(string path)
        {
            _path = path;
            if (Directory.Exists(path)) throw new ModelFormatException(path, "is a folder, not a model file");
            if (!File.Exists(path)) throw new ModelFormatException(path, "no such file");
            try
            {
                _session = new InferenceSession(path);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelFormatException(path, $"not a model ONNX Runtime can load: {FirstLine(e.Message)}", e);
            }
            try
            {
                (_input, Inputs) = FloatMatrixInput(path, _session);
                _output = _session.OutputMetadata.Keys.FirstOrDefault() ?? throw new ModelFormatException(path, "the model has no output");
                Classes = ClassesOf(path, _session);
            }
            catch
            {
                _session.Dispose();
                throw;
            }
        }

        public override int Inputs { get; }
        public override IReadOnlyList<string>? Classes { get; }

        public override double[] Predict(float[] x, int rows)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(x, [rows, Inputs]);
            using var options = new RunOptions();
            using var outputs = Run(options, input);
            var y = outputs[0].GetTensorDataAsSpan<float>();
            // Through the float's shortest text, so that 0.9f prints as 0.9, not 0.899999976158142.
            var result = new double[y.Length];
            for (var i = 0; i < y.Length; i++)
                result[i] = double.Parse(y[i].ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            return result;
        }

        public override void Dispose() => _session.Dispose();

        private IDisposableReadOnlyCollection<OrtValue> Run(RunOptions options, OrtValue input)
        {
            try
            {
                return _session.Run(options, [_input], [input], [_output]);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelFormatException(_path, $"ONNX Runtime could not run the model: {FirstLine(e.Message)}", e);
            }
        }

        private static (string Name, int Features) FloatMatrixInput(string path, InferenceSession session)
        {
            if (session.InputMetadata.Count == 0) throw new ModelFormatException(path, "the model has no input");
            var (name, meta) = session.InputMetadata.First();
            if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || meta.Dimensions.Length != 2 || meta.Dimensions[1] < 1)
                throw new ModelFormatException(path,
                    $"input '{name}' is {(meta.IsTensor ? $"a {meta.ElementDataType} tensor [{string.Join(", ", meta.Dimensions)}]" : "not a tensor")}; predict needs a float matrix [N, features]");
            return (name, meta.Dimensions[1]);
        }

        /// <summary>The class names ActorNet's export keeps in the metadata, if any.</summary>
        private static IReadOnlyList<string>? ClassesOf(string path, InferenceSession session)
        {
            if (!session.ModelMetadata.CustomMetadataMap.TryGetValue(OnnxExport.ClassesKey, out var json)) return null;
            try
            {
                return JsonSerializer.Deserialize<string[]>(json) ?? throw new JsonException("null");
            }
            catch (JsonException)
            {
                throw new ModelFormatException(path, $"metadata '{OnnxExport.ClassesKey}' is not a JSON list of class names");
            }
        }

        private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
    }
}
