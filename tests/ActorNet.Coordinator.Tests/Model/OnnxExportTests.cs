using System.Text;
using System.Text.Json;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Tests.Training;
using ActorNet.Training;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace ActorNet.Tests.Model;

/// <summary>An exported model, run by ONNX Runtime on raw inputs, gives ActorNet's outputs for
/// the same inputs scaled by the saved scaler.</summary>
public sealed class OnnxExportTests : Akka.TestKit.Xunit2.TestKit
{
    private const double Tolerance = 1e-5;

    [Fact]
    public async Task A_trained_circles_model_with_standardized_inputs_gives_ActorNets_outputs_on_the_test_set()
    {
        var spec = new RunSpec
        {
            Name = "circles-onnx",
            Seed = 11,
            Data = new DataSpec { Builtin = "circles", Samples = 600, Scaling = "standardize" },
            Layers = [new LayerSpec { Size = 8, Activation = Activation.Tanh }, new LayerSpec { Size = 2, Activation = Activation.Softmax }],
            Loss = Loss.SoftmaxCrossEntropy,
            Optimizer = new OptimizerSettings(OptimizerKind.Adam, 0.03),
            BatchSize = 32,
            Epochs = 15,
        };
        var (done, _, _) = await TestRuns.TrainAsync(Sys, spec);
        var data = DataCache.Get(spec, null);
        var layout = ModelLayout.From(spec, data.Train.FeatureCount);
        var model = SavedModel.From(layout, done.Parameters, data.Scaler, data.Train.ClassNames, spec.Loss);

        // The raw test set: the same split without scaling. The scaler in the model is the one
        // that produced the sets the run trained and was tested on.
        var rawTest = DataLoader.Load(spec.Data with { Scaling = "none" }, spec.Seed, spec.Precision).Test;
        var scaler = model.ToScaler()!;
        Assert.Equal(data.Test.Features, scaler.Apply(rawTest.Features));
        Assert.NotEqual(data.Test.Features, rawTest.Features);

        var expected = Inference.Forward(layout, model.ToParameters<float>(), scaler.Apply(rawTest.Features), rawTest.Count);
        using var session = new InferenceSession(OnnxExport.ToOnnx(model));
        var actual = Run(session, rawTest.Features, rawTest.Count, 2);
        AssertClose(expected, actual);

        // A model worth exporting: it learned the circles.
        var correct = Scoring.CountCorrect<float>(actual, new float[actual.Length], rawTest.Labels, rawTest.Count, 2);
        Assert.True(correct >= 0.9 * rawTest.Count, $"{correct} of {rawTest.Count} right");

        var metadata = session.ModelMetadata;
        Assert.Equal("ActorNet", metadata.ProducerName);
        Assert.Equal(JsonSerializer.Serialize(data.Train.ClassNames), metadata.CustomMetadataMap[OnnxExport.ClassesKey]);
        Assert.Equal("softmaxCrossEntropy", metadata.CustomMetadataMap[OnnxExport.LossKey]);
        Assert.Equal("standardize", metadata.CustomMetadataMap[OnnxExport.ScalingKey]);
    }

    /// <summary>Every activation ActorNet has, in one chain, behind a min-max scaling with a
    /// constant feature (divisor 0); once ending in softmax, once (reversed) in identity, so the
    /// last node may be an activation or the Gemm itself.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_activation_has_an_ONNX_operator_that_computes_it(bool reversed)
    {
        var activations = Enum.GetValues<Activation>();
        if (reversed) Array.Reverse(activations);
        var rng = new Rng(5);
        const int inputs = 3;
        var sizes = activations.Select((_, l) => l == activations.Length - 1 ? 3 : 4 + l % 3).ToArray();
        var layers = new List<LayerShape>();
        for (var l = 0; l < activations.Length; l++) layers.Add(new LayerShape(l == 0 ? inputs : sizes[l - 1], sizes[l], activations[l], 1));
        var layout = new ModelLayout(inputs, layers);
        var parameters = layers.Select(s => Enumerable.Range(0, s.ParameterCount)
            .Select(_ => rng.NextDouble(-1.5, 1.5) / Math.Sqrt(s.Inputs)).ToArray()).ToArray();

        const int rows = 64;
        var raw = new float[rows * inputs];
        for (var r = 0; r < rows; r++)
        {
            raw[r * inputs] = (float)rng.NextDouble(-4, 4);
            raw[r * inputs + 1] = 7f;                                   // constant in training: divisor 0
            raw[r * inputs + 2] = (float)rng.NextDouble(100, 300);
        }
        var train = new DataSet("fit", raw, inputs, new int[rows], 1);
        var scaler = Scaler.Fit(train, ScalingKind.MinMax);
        Assert.Equal(0, scaler.Divisors[1]);
        var model = SavedModel.From(layout, parameters, scaler, ["a", "b", "c"], Loss.MeanSquaredError);

        // Inputs beyond the training range too, and the constant feature off its constant.
        var x = raw.Select((v, i) => i % inputs == 1 ? v + (i % 5) : v * 1.5f).ToArray();
        var expected = Inference.Forward(layout, model.ToParameters<float>(), scaler.Apply(x), rows);
        var onnx = OnnxExport.ToOnnx(model);
        using var session = new InferenceSession(onnx);
        AssertClose(expected, Run(session, x, rows, inputs));
        // Any batch size: one row alone.
        AssertClose(expected.AsSpan(0, 3).ToArray(), Run(session, x.AsSpan(0, inputs).ToArray(), 1, inputs));

        var ops = OperatorsOf(onnx);
        Assert.Equal(activations.Length, ops.Count(op => op == "Gemm"));
        Assert.Equal(["Sub", "Mul"], ops.Take(2));
    }

    [Fact]
    public void Without_scaling_the_graph_starts_at_the_first_Gemm()
    {
        var model = new SavedModel([new SavedLayer([[1.0, -1.0]], [0.5], "identity")]);
        var onnx = OnnxExport.ToOnnx(model);
        using var session = new InferenceSession(onnx);
        Assert.Equal([0.5f + 3f - 5f, 0.5f], Run(session, [3f, 5f, 0f, 0f], 2, 2));
        Assert.Equal(["Gemm"], OperatorsOf(onnx));
        Assert.Empty(session.ModelMetadata.CustomMetadataMap);
        Assert.Equal([-1, 2], session.InputMetadata[OnnxExport.InputName].Dimensions);
        Assert.Equal([-1, 1], session.OutputMetadata[OnnxExport.OutputName].Dimensions);
    }

    [Fact]
    public void A_model_whose_layers_do_not_fit_is_not_exported()
    {
        var model = new SavedModel([
            new SavedLayer([[1.0, 2.0], [3.0, 4.0]], [0, 0], "tanh"),
            new SavedLayer([[1.0, 2.0, 3.0]], [0], "logistic")]);
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.ToOnnx(model));
        Assert.Contains("layers[1].weights: rows of 3 values, but layers[0] has 2 neurons", e.Message);
    }

    private static float[] Run(InferenceSession session, float[] x, int rows, int columns)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [rows, columns]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [OnnxExport.InputName], [input], [OnnxExport.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The op types of the graph's nodes, in order, read back from the bytes with a
    /// plain protobuf walk: ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4.</summary>
    private static string[] OperatorsOf(byte[] onnx)
    {
        var graph = LengthDelimitedFields(onnx).Single(f => f.Number == 7).Bytes;
        return LengthDelimitedFields(graph).Where(f => f.Number == 1)
            .Select(node => Encoding.UTF8.GetString(LengthDelimitedFields(node.Bytes).Single(f => f.Number == 4).Bytes))
            .ToArray();
    }

    private static List<(int Number, byte[] Bytes)> LengthDelimitedFields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                fields.Add((WireFormat.GetTagFieldNumber(tag), input.ReadBytes().ToByteArray()));
            else input.SkipLastField();
        }
        return fields;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs((double)expected[i] - actual[i]);
            if (d > worst) (worst, at) = (d, i);
        }
        Assert.True(worst <= Tolerance, $"outputs differ by {worst:G3} at {at}: ActorNet {(at < 0 ? 0 : expected[at])}, ONNX Runtime {(at < 0 ? 0 : actual[at])}");
    }
}
