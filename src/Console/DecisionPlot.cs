using ActorNet.Data;
using ActorNet.Model;
using ActorNet.Training;

namespace ActorNet.Cli;

/// <summary>The article's classification picture: the plane coloured by the class the model
/// predicts, with the data points over it (ScottPlot).</summary>
internal static class DecisionPlot
{
    private const int Resolution = 200;

    public static void Save(string path, ModelLayout layout, IReadOnlyList<double[]> parameters, DataSet points, string title)
    {
        // The points as doubles, whatever the run's precision kept them in.   (Count, 2) row-major
        var xy = new double[points.Count * 2];
        for (var i = 0; i < points.Count; i++) points.CopyRow<double>(i, xy.AsSpan(i * 2, 2));
        double xMin = double.MaxValue, xMax = double.MinValue, yMin = double.MaxValue, yMax = double.MinValue;
        for (var i = 0; i < points.Count; i++)
        {
            var r = xy.AsSpan(i * 2, 2);
            xMin = Math.Min(xMin, r[0]); xMax = Math.Max(xMax, r[0]);
            yMin = Math.Min(yMin, r[1]); yMax = Math.Max(yMax, r[1]);
        }
        var padX = (xMax - xMin) * 0.1 + 1e-6;
        var padY = (yMax - yMin) * 0.1 + 1e-6;
        (xMin, xMax, yMin, yMax) = (xMin - padX, xMax + padX, yMin - padY, yMax + padY);

        // Predicted class on a grid; heatmap rows run top (high y) to bottom.
        var grid = new double[Resolution * Resolution * 2];
        for (var row = 0; row < Resolution; row++)
            for (var col = 0; col < Resolution; col++)
            {
                var k = (row * Resolution + col) * 2;
                grid[k] = xMin + (xMax - xMin) * (col + 0.5) / Resolution;
                grid[k + 1] = yMax - (yMax - yMin) * (row + 0.5) / Resolution;
            }
        var outputs = Inference.Forward(layout, parameters, grid, Resolution * Resolution);
        var classes = new double[Resolution, Resolution];
        var n = layout.Outputs;
        for (var row = 0; row < Resolution; row++)
            for (var col = 0; col < Resolution; col++)
            {
                var o = outputs.AsSpan((row * Resolution + col) * n, n);
                classes[row, col] = n == 1 ? (o[0] >= 0.5 ? 1 : 0) : Scoring.ArgMax<double>(o);
            }

        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(classes);
        heatmap.Extent = new ScottPlot.CoordinateRect(xMin, xMax, yMin, yMax);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Opacity = 0.45;
        var palette = new ScottPlot.Palettes.Category10();
        var labels = points.Labels ?? new int[points.Count];
        foreach (var label in labels.Distinct().Order())
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (var i = 0; i < points.Count; i++)
                if (labels[i] == label) { xs.Add(xy[i * 2]); ys.Add(xy[i * 2 + 1]); }
            var scatter = plot.Add.ScatterPoints(xs, ys);
            scatter.Color = palette.GetColor(label);
            scatter.MarkerSize = 5;
            scatter.LegendText = points.ClassNames is { } names ? names[label] : $"class {label}";
        }
        plot.Title(title);
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        plot.ShowLegend();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(path, 800, 700);
    }
}
