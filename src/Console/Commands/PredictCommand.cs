using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Training;

namespace ActorNet.Cli.Commands;

/// <summary><c>actornet predict --model FILE --input CSV</c>: runs a trained model on rows of
/// features and prints, per row, the predicted class and the outputs.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "a model written by local --save: JSON, or ONNX (a .onnx file)", Required = true };
        var input = new Option<string>("--input")
        {
            Description = "CSV of feature columns in training order (a header row is skipped; one column more is taken as the label and ignored)",
            Required = true,
        };
        var labelColumn = new Option<string?>("--label-column") { Description = "the label column to ignore, by header name or 0-based index (default: the last, when there is one column more than features)" };
        var json = new Option<bool>("--json") { Description = "print a JSON array: [{\"class\":…,\"name\":…,\"outputs\":[…]},…]" };
        var command = new Command("predict", "Predict with a trained model") { model, input, labelColumn, json };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(labelColumn), parse.GetValue(json)));
        return command;
    }

    private static int Run(string modelPath, string inputPath, string? labelColumn, bool json)
    {
        IReadOnlyList<string>? classes;
        double[] outputs;
        int rows;
        try
        {
            using var predictor = Predictor.Open(modelPath);
            var features = Csv.LoadFeatures(inputPath, predictor.Inputs, OptionsFor(labelColumn));
            outputs = predictor.Predict(features.Features, features.Count);
            classes = predictor.Classes;
            rows = features.Count;
        }
        catch (Exception e) when (e is ModelFormatException or DataFormatException or ArgumentException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var width = outputs.Length / rows;
        if (json) PrintJson(outputs, rows, width, classes);
        else PrintLines(outputs, rows, width, classes);
        return 0;
    }

    private static CsvOptions OptionsFor(string? labelColumn) => labelColumn switch
    {
        null => CsvOptions.Default,
        var c when int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var index) => CsvOptions.Default with { LabelIndex = index },
        var c => CsvOptions.Default with { LabelColumn = c },
    };

    /// <summary>Arg-max of the row's outputs; a single output is class 1 when ≥ ½ (as accuracy
    /// is scored in training).</summary>
    private static int ClassOf(ReadOnlySpan<double> row) => row.Length == 1 ? (row[0] >= 0.5 ? 1 : 0) : Scoring.ArgMax(row);

    private static string? NameOf(int index, IReadOnlyList<string>? classes) =>
        classes is not null && index < classes.Count ? classes[index] : null;

    /// <summary>One line per row: the class (its name when the model has names) and the outputs.</summary>
    private static void PrintLines(double[] outputs, int rows, int width, IReadOnlyList<string>? classes)
    {
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        for (var r = 0; r < rows; r++)
        {
            var row = outputs.AsSpan(r * width, width);
            var index = ClassOf(row);
            stdout.Write(NameOf(index, classes) ?? index.ToString(CultureInfo.InvariantCulture));
            stdout.Write(' ');
            foreach (var o in row)
            {
                stdout.Write(' ');
                stdout.Write(o.ToString("G6", CultureInfo.InvariantCulture));
            }
            stdout.WriteLine();
        }
    }

    private static void PrintJson(double[] outputs, int rows, int width, IReadOnlyList<string>? classes)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout))
        {
            w.WriteStartArray();
            for (var r = 0; r < rows; r++)
            {
                var row = outputs.AsSpan(r * width, width);
                var index = ClassOf(row);
                w.WriteStartObject();
                w.WriteNumber("class", index);
                if (NameOf(index, classes) is { } name) w.WriteString("name", name);
                w.WriteStartArray("outputs");
                foreach (var o in row) w.WriteNumberValue(o);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        stdout.WriteByte((byte)'\n');
    }
}
