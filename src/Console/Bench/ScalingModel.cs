namespace ActorNet.Cli.Bench;

/// <summary>
/// Samples per second of synchronous data-parallel training on W workers, on paper, from what
/// <c>actornet bench</c> measures: the compute time of one sample on one core (forward and
/// backward), the parameter bytes every step moves, and a link's bandwidth. Two designs:
/// <list type="bullet">
/// <item>ActorNet's parameter shards on one node (the coordinator): every worker sends its
/// gradient (P bytes) and receives the new parameters (P bytes), so the coordinator's link carries
/// W·P bytes each way per step, one after another on that one link;</item>
/// <item>ring all-reduce (Baidu, Horovod): each worker sends and receives 2·(W − 1)/W·P bytes,
/// whatever W, over its own link.</item>
/// </list>
/// Latency, the optimizer and framing are left out (they are small beside the transfers at
/// 1 MB per step), and so is any overlap of transfer and backward pass unless asked: with
/// <c>overlap</c> the gradients' transfer hides behind the compute as far as it can (each layer's
/// gradient leaves when its backward pass is done) and only the parameters' return is added.
/// </summary>
internal static class ScalingModel
{
    /// <param name="secondsPerSample">compute of one sample on one core</param>
    /// <param name="linkBytesPerSecond">each way, per link</param>
    public static double ParameterShards(int workers, int batch, double secondsPerSample, double parameterBytes, double linkBytesPerSecond, bool overlap)
    {
        var compute = batch * secondsPerSample / workers;
        var transfer = workers * parameterBytes / linkBytesPerSecond; // W gradients in, W copies of the parameters out
        var step = overlap ? Math.Max(compute, transfer) + transfer : compute + 2 * transfer;
        return batch / step;
    }

    public static double RingAllReduce(int workers, int batch, double secondsPerSample, double parameterBytes, double linkBytesPerSecond)
    {
        var compute = batch * secondsPerSample / workers;
        var transfer = workers == 1 ? 0 : 2.0 * (workers - 1) / workers * parameterBytes / linkBytesPerSecond;
        return batch / (compute + transfer);
    }

    /// <summary>The fewest workers at which the coordinator's link takes longer per step than a
    /// worker's compute: from there on more workers make a step slower, not faster.</summary>
    public static int LinkBoundFrom(int batch, double secondsPerSample, double parameterBytes, double linkBytesPerSecond)
    {
        var w = 1;
        while (w * parameterBytes / linkBytesPerSecond < batch * secondsPerSample / w) w++;
        return w;
    }

    /// <summary>Draws the model's curves for 1 to 64 workers at 10 and 25 Gbit/s, with the points measured.</summary>
    public static void Plot(string path, int batch, double secondsPerSample, double parameterBytes, IReadOnlyList<(int Workers, double SamplesPerSecond, string Label)> measured)
    {
        var plot = new ScottPlot.Plot();
        var top = 0.0;
        var workers = Enumerable.Range(0, 7).Select(e => 1 << e).ToArray(); // 1, 2, 4 … 64
        var xs = workers.Select(w => Math.Log2(w)).ToArray();
        foreach (var (gbits, color) in new[] { (10.0, ScottPlot.Colors.Blue), (25.0, ScottPlot.Colors.Green) })
        {
            var link = gbits * 1e9 / 8;
            Line(workers.Select(w => ParameterShards(w, batch, secondsPerSample, parameterBytes, link, overlap: false)), $"parameter shards, {gbits:F0} Gbit/s", color, ScottPlot.LinePattern.Solid);
            Line(workers.Select(w => ParameterShards(w, batch, secondsPerSample, parameterBytes, link, overlap: true)), $"shards with overlap, {gbits:F0} Gbit/s", color, ScottPlot.LinePattern.Dotted);
            Line(workers.Select(w => RingAllReduce(w, batch, secondsPerSample, parameterBytes, link)), $"ring all-reduce, {gbits:F0} Gbit/s", color, ScottPlot.LinePattern.Dashed);
        }
        foreach (var group in measured.GroupBy(m => m.Label))
        {
            var points = plot.Add.ScatterPoints(group.Select(m => Math.Log2(m.Workers)).ToArray(), group.Select(m => m.SamplesPerSecond).ToArray());
            points.MarkerSize = 9;
            points.LegendText = group.Key;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, workers.Select(w => $"{w}").ToArray());
        plot.XLabel("workers");
        plot.YLabel("samples/s");
        plot.Title($"Synchronous SGD at global batch {batch}: {secondsPerSample * 1e6:F1} µs per sample per core, {parameterBytes / 1e6:F2} MB of parameters");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.Axes.SetLimitsY(0, Math.Max(top, measured.Select(m => m.SamplesPerSecond).DefaultIfEmpty(0).Max()) * 1.05);
        plot.SavePng(path, 1000, 650);

        void Line(IEnumerable<double> ys, string label, ScottPlot.Color color, ScottPlot.LinePattern pattern)
        {
            var values = ys.ToArray();
            top = Math.Max(top, values.Max());
            var line = plot.Add.Scatter(xs, values);
            line.LegendText = label;
            line.Color = color;
            line.LinePattern = pattern;
            line.MarkerSize = 0;
        }
    }
}
