using System.Text.Json;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Numerics;
using ActorNet.Tests.Data;
using Xunit;

namespace ActorNet.Tests.Model;

public sealed class SavedModelTests
{
    /// <summary>What <c>actornet local --save</c> wrote before scaling, classes and loss were kept.</summary>
    private const string LayersOnly = """
        {"layers":[{"weights":[[1,2],[3,4],[5,6]],"biases":[0.5,-0.5,0],"activation":"tanh"},
                   {"weights":[[1,0,-1],[0.25,0.5,0.75]],"biases":[0,1],"activation":"softmax"}]}
        """;

    [Fact]
    public void A_file_with_layers_only_still_loads()
    {
        using var dir = new TempDirectory();
        var model = SavedModel.Load(dir.WriteText("old.json", LayersOnly));
        Assert.Null(model.Scaling);
        Assert.Null(model.Classes);
        Assert.Null(model.Loss);
        Assert.Null(model.ToScaler());
        var layout = model.ToLayout();
        Assert.Equal(2, layout.Inputs);
        Assert.Equal([3, 2], layout.Layers.Select(l => l.Outputs));
        Assert.Equal([Activation.Tanh, Activation.Softmax], layout.Layers.Select(l => l.Activation));
        Assert.Equal([1.0, 2, 3, 4, 5, 6, 0.5, -0.5, 0], model.ToParameters<double>()[0]);
    }

    [Fact]
    public void Scaling_classes_and_loss_survive_a_round_trip()
    {
        using var dir = new TempDirectory();
        var train = new DataSet("t", [1f, 10f, 3f, 10f, 5f, 10f], 2, [0, 1, 0], 2, classNames: ["no", "yes"]);
        var scaler = Scaler.Fit(train, ScalingKind.Standardize);
        var layout = new ModelLayout(2, [new LayerShape(2, 1, Activation.Logistic, 1)]);
        var model = SavedModel.From(layout, [[0.5, -2, 0.25]], scaler, train.ClassNames, Loss.BinaryCrossEntropy);
        var path = dir.File("m.json");
        model.Save(path);

        var loaded = SavedModel.Load(path);
        Assert.Equal("standardize", loaded.Scaling!.Kind);
        Assert.Equal(scaler.Offsets, loaded.Scaling.Offsets);
        Assert.Equal(scaler.Divisors, loaded.Scaling.Divisors); // the constant feature's 0 too
        Assert.Equal(0, loaded.Scaling.Divisors[1]);
        Assert.Equal(["no", "yes"], loaded.Classes!);
        Assert.Equal("binaryCrossEntropy", loaded.Loss);
        Assert.Equal(scaler.Apply(train).Features, loaded.ToScaler()!.Apply(train.Features));
        Assert.Equal([0.5, -2, 0.25], loaded.ToParameters<double>()[0]);
    }

    [Fact]
    public void A_model_without_extras_is_written_as_before()
    {
        using var dir = new TempDirectory();
        var layout = new ModelLayout(1, [new LayerShape(1, 1, Activation.Identity, 1)]);
        var path = dir.File("plain.json");
        SavedModel.From(layout, [[2.0, 1.0]]).Save(path);
        var root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.Equal(["layers"], root.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_save_that_fails_leaves_no_temporary_file_behind()
    {
        using var dir = new TempDirectory();
        var layout = new ModelLayout(1, [new LayerShape(1, 1, Activation.Identity, 1)]);
        var path = dir.File("taken");
        Directory.CreateDirectory(path); // the name is a folder: the final move cannot succeed
        var model = SavedModel.From(layout, [[2.0, 1.0]]);

        Assert.ThrowsAny<IOException>(() => model.Save(path));
        Assert.ThrowsAny<IOException>(() => OnnxExport.Save(model, path));
        Assert.False(File.Exists(path + ".tmp"));
        Assert.True(Directory.Exists(path));
        model.Save(dir.File("free.json")); // and a good name still works
        Assert.Equal([2.0, 1.0], SavedModel.Load(dir.File("free.json")).ToParameters<double>()[0]);
    }

    [Theory]
    [InlineData("{\n  \"layers\": [,]\n}", ":2: not a saved model")]
    [InlineData("[1, 2]", ":1: not a saved model")]
    [InlineData("null", "not a saved model: the file holds JSON null")]
    [InlineData("{\"layers\":[]}", "no layers")]
    [InlineData("{\"weights\":[[1]]}", "no layers")]
    [InlineData("{\"layers\":[{\"weights\":\"many\",\"biases\":[0],\"activation\":\"tanh\"}]}", "$.layers[0].weights: a value of the wrong kind")]
    [InlineData("{\"layers\":[{\"biases\":[0],\"activation\":\"tanh\"}]}", "layers[0].weights: missing")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2]],\"biases\":[0],\"activation\":\"relu6\"}]}", "layers[0].activation: unknown 'relu6' (expected one of: identity, logistic")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2],[3]],\"biases\":[0,0],\"activation\":\"tanh\"}]}", "layers[0].weights[1]: 1 values, but row 0 has 2")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2],[3,4]],\"biases\":[0],\"activation\":\"tanh\"}]}", "layers[0].biases: 1 values for 2 neurons")]
    [InlineData("""
        {"layers":[{"weights":[[1,2],[3,4]],"biases":[0,0],"activation":"tanh"},
                   {"weights":[[1,2,3]],"biases":[0],"activation":"logistic"}]}
        """, "layers[1].weights: rows of 3 values, but layers[0] has 2 neurons")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2]],\"biases\":[0],\"activation\":\"logistic\"}],\"scaling\":{\"kind\":\"minMax\",\"offsets\":[0],\"divisors\":[1,1]}}",
        "scaling.offsets: 1 values, but layers[0] takes 2 inputs")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2]],\"biases\":[0],\"activation\":\"logistic\"}],\"scaling\":{\"kind\":\"zscore\",\"offsets\":[0,0],\"divisors\":[1,1]}}",
        "scaling.kind: unknown 'zscore'")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2],[3,4]],\"biases\":[0,0],\"activation\":\"softmax\"}],\"classes\":[\"a\",\"b\",\"c\"]}",
        "classes: 3 names, but the last layer (layers[0]) has 2 neurons")]
    [InlineData("{\"layers\":[{\"weights\":[[1,2]],\"biases\":[0],\"activation\":\"logistic\"}],\"loss\":\"hinge\"}", "loss: unknown 'hinge'")]
    public void A_bad_file_is_refused_in_one_line_naming_the_file_and_the_place(string json, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("bad.json", json);
        var e = Assert.Throws<ModelFormatException>(() => SavedModel.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        using var dir = new TempDirectory();
        var path = dir.File("nowhere.json");
        var e = Assert.Throws<ModelFormatException>(() => SavedModel.Load(path));
        Assert.Equal($"{path}: no such file", e.Message);
    }

    [Fact]
    public void A_single_output_may_name_two_classes()
    {
        var model = new SavedModel([new SavedLayer([[1.0]], [0.0], "logistic")]) { Classes = ["cat", "dog"] };
        Assert.Null(model.FindProblem());
    }
}
