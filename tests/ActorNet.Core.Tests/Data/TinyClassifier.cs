using ActorNet.Data;
using ActorNet.Numerics;

namespace ActorNet.Tests.Data;

/// <summary>
/// A minimal classifier to check what the synthetic sets promise: softmax regression (no hidden
/// layer, a linear model) or a one-hidden-layer tanh MLP, trained full-batch with Adam (Kingma
/// and Ba, 2015) on cross-entropy. Test code only, in doubles, independent of the project's
/// kernels so that a data test does not depend on them.
/// </summary>
internal sealed class TinyClassifier
{
    private readonly int _inputs, _hidden, _classes;
    private readonly double[] _w; // hidden > 0: W1 (hidden × inputs), b1, W2 (classes × hidden), b2; else W (classes × inputs), b
    private readonly double[] _m, _v;
    private int _step;

    public TinyClassifier(int inputs, int hidden, int classes, ulong seed)
    {
        (_inputs, _hidden, _classes) = (inputs, hidden, classes);
        var size = hidden > 0 ? hidden * inputs + hidden + classes * hidden + classes : classes * inputs + classes;
        _w = new double[size];
        _m = new double[size];
        _v = new double[size];
        var rng = new Rng(seed);
        for (var i = 0; i < size; i++) _w[i] = rng.NextGaussian() * 0.5;
    }

    public void Train(DataSet data, int steps, double learningRate)
    {
        var gradient = new double[_w.Length];
        for (var s = 0; s < steps; s++)
        {
            Array.Clear(gradient);
            for (var r = 0; r < data.Count; r++) Backward(data.Row(r), data.Labels![r], gradient, 1.0 / data.Count);
            Adam(gradient, learningRate);
        }
    }

    public double Accuracy(DataSet data)
    {
        var correct = 0;
        for (var r = 0; r < data.Count; r++)
        {
            var p = Forward(data.Row(r), out _);
            if (Array.IndexOf(p, p.Max()) == data.Labels![r]) correct++;
        }
        return (double)correct / data.Count;
    }

    private int InputsOfOutput => _hidden > 0 ? _hidden : _inputs;
    private int OutputOffset => _hidden > 0 ? _hidden * _inputs + _hidden : 0;

    private double[] Forward(ReadOnlySpan<float> x, out double[] features)
    {
        features = _hidden > 0 ? Hidden(x) : x.ToArray().Select(v => (double)v).ToArray();
        var z = new double[_classes];
        var o = OutputOffset;
        var n = InputsOfOutput;
        for (var k = 0; k < _classes; k++)
        {
            z[k] = _w[o + _classes * n + k];
            for (var j = 0; j < n; j++) z[k] += _w[o + k * n + j] * features[j];
        }
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private double[] Hidden(ReadOnlySpan<float> x)
    {
        var h = new double[_hidden];
        for (var j = 0; j < _hidden; j++)
        {
            var a = _w[_hidden * _inputs + j];
            for (var i = 0; i < _inputs; i++) a += _w[j * _inputs + i] * x[i];
            h[j] = Math.Tanh(a);
        }
        return h;
    }

    private void Backward(ReadOnlySpan<float> x, int label, double[] g, double scale)
    {
        var p = Forward(x, out var f);
        var o = OutputOffset;
        var n = InputsOfOutput;
        var df = new double[n];
        for (var k = 0; k < _classes; k++)
        {
            var dz = (p[k] - (k == label ? 1 : 0)) * scale;
            g[o + _classes * n + k] += dz;
            for (var j = 0; j < n; j++)
            {
                g[o + k * n + j] += dz * f[j];
                df[j] += dz * _w[o + k * n + j];
            }
        }
        if (_hidden == 0) return;
        for (var j = 0; j < _hidden; j++)
        {
            var da = df[j] * (1 - f[j] * f[j]);
            g[_hidden * _inputs + j] += da;
            for (var i = 0; i < _inputs; i++) g[j * _inputs + i] += da * x[i];
        }
    }

    private void Adam(double[] g, double rate)
    {
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        _step++;
        var c1 = 1 - Math.Pow(beta1, _step);
        var c2 = 1 - Math.Pow(beta2, _step);
        for (var i = 0; i < _w.Length; i++)
        {
            _m[i] = beta1 * _m[i] + (1 - beta1) * g[i];
            _v[i] = beta2 * _v[i] + (1 - beta2) * g[i] * g[i];
            _w[i] -= rate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + epsilon);
        }
    }
}
