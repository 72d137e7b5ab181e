using System.Numerics;
using System.Numerics.Tensors;
using ActorNet.Model;
using ActorNet.Numerics;

namespace ActorNet.Training;

/// <summary>
/// The authoritative parameters of one layer and its optimizer state. For each step it
/// collects one gradient part per worker, adds them in part order (a fixed order, which is
/// what makes runs repeat bit for bit), divides by the global batch size and applies the
/// optimizer. Plain class: <see cref="Actors.ParameterShardActor{T}"/> is its shell.
/// </summary>
public sealed class ParameterShard<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly OptimizerSettings _optimizer;
    private readonly bool _trainBiases;
    private readonly T[]?[] _parts;
    private readonly int[] _rows;
    private readonly T[] _first;
    private readonly T[] _second;
    // The averaged gradient of the last update. One buffer for the run: a fresh array per step
    // would be another layer-sized allocation, which for large layers means fresh memory to fault in.
    private readonly T[] _average;
    private long _pendingStep = -1;
    private int _received;

    /// <param name="version">updates already applied to <paramref name="parameters"/> (a run resumed from a checkpoint)</param>
    /// <param name="firstMoment">the optimizer's first state slot to continue from (else zeros); see <see cref="Capture"/></param>
    /// <param name="secondMoment">the optimizer's second state slot to continue from (else zeros)</param>
    public ParameterShard(int layer, LayerShape shape, T[] parameters, OptimizerSettings optimizer, bool trainBiases, int maxParts = 64,
        long version = 0, T[]? firstMoment = null, T[]? secondMoment = null)
    {
        if (parameters.Length != shape.ParameterCount)
            throw new ArgumentException($"layer {layer} needs {shape.ParameterCount} parameters, got {parameters.Length}", nameof(parameters));
        Layer = layer;
        Shape = shape;
        Parameters = parameters;
        _optimizer = optimizer;
        _trainBiases = trainBiases;
        _parts = new T[maxParts][];
        _rows = new int[maxParts];
        var slots = Optimizers.StateSlots(optimizer.Kind);
        _first = Slot(firstMoment, slots >= 1, "first");
        _second = Slot(secondMoment, slots >= 2, "second");
        _average = new T[parameters.Length];
        Version = version;

        T[] Slot(T[]? given, bool used, string name)
        {
            if (!used) return [];
            if (given is null || given.Length == 0) return new T[parameters.Length];
            if (given.Length != parameters.Length)
                throw new ArgumentException($"layer {layer}: optimizer {name} moment of {given.Length} values, expected {parameters.Length}");
            return (T[])given.Clone(); // written in place from now on
        }
    }

    public int Layer { get; }
    public LayerShape Shape { get; }
    /// <summary>The current parameters. A new array after every update: the old one may still
    /// be in a message in flight, and messages are never written to.</summary>
    public T[] Parameters { get; private set; }
    /// <summary>Updates applied so far; the forward pass of step t uses version t.</summary>
    public long Version { get; private set; }
    /// <summary>Gradient parts that arrived for a step other than the one pending, or twice.</summary>
    public long DroppedParts { get; private set; }

    /// <summary>Adds one part of step <paramref name="step"/>'s gradient. Returns the averaged
    /// gradient once all <paramref name="parts"/> parts are in (the parameters are then
    /// updated), else null; the array is the shard's, and the next update overwrites it. A part
    /// for a step already applied, or a duplicate (a part computed again after its replica was
    /// lost, when the first copy had got through), is dropped and counted.</summary>
    public T[]? Add(long step, int part, int parts, int rows, T[] gradient)
    {
        if (gradient.Length != Parameters.Length)
            throw new ArgumentException($"layer {Layer}: gradient of {gradient.Length} values, expected {Parameters.Length}", nameof(gradient));
        if (step != Version || (uint)part >= (uint)parts || parts > _parts.Length)
        {
            DroppedParts++;
            return null;
        }
        if (_pendingStep != step)
        {
            Array.Clear(_parts);
            _pendingStep = step;
            _received = 0;
        }
        if (_parts[part] is not null)
        {
            DroppedParts++;
            return null;
        }
        _parts[part] = gradient;
        _rows[part] = rows;
        if (++_received < parts) return null;
        return Apply(parts);
    }

    /// <summary>Asynchronous training: applies one worker's gradient (summed over its
    /// <paramref name="rows"/> samples) at once, whatever step it came from. Returns the averaged
    /// gradient, in the shard's array that the next update overwrites.</summary>
    public T[] ApplyNow(int rows, T[] gradient)
    {
        if (gradient.Length != Parameters.Length)
            throw new ArgumentException($"layer {Layer}: gradient of {gradient.Length} values, expected {Parameters.Length}", nameof(gradient));
        _parts[0] = gradient;
        _rows[0] = rows;
        return Apply(1);
    }

    private T[] Apply(int parts)
    {
        // Σ_k part_k in part order, then ÷ total rows: the mean gradient of the global batch.
        var sum = _average;
        _parts[0].AsSpan().CopyTo(sum);
        var rows = _rows[0];
        for (var k = 1; k < parts; k++)
        {
            TensorPrimitives.Add<T>(sum, _parts[k]!, sum); // element-wise, so the same sums as a scalar loop
            rows += _rows[k];
        }
        TensorPrimitives.Multiply(sum, T.One / T.CreateChecked(rows), sum);

        var next = (T[])Parameters.Clone();
        var w = Shape.WeightCount;
        var t = Version + 1;
        Optimizers.Apply<T>(_optimizer, next.AsSpan(0, w), sum.AsSpan(0, w), Slot(_first, 0, w), Slot(_second, 0, w), t, decay: true);
        if (_trainBiases)
            Optimizers.Apply<T>(_optimizer, next.AsSpan(w), sum.AsSpan(w), Slot(_first, w, Shape.Outputs), Slot(_second, w, Shape.Outputs), t, decay: false);
        Parameters = next;
        Version = t;
        Array.Clear(_parts);
        return sum;
    }

    /// <summary>The shard's whole state, for a checkpoint: the parameters (never written again,
    /// so shared) and copies of the optimizer slots (written in place by the next update).</summary>
    public (long Version, T[] Parameters, T[] FirstMoment, T[] SecondMoment) Capture() =>
        (Version, Parameters, (T[])_first.Clone(), (T[])_second.Clone());

    /// <summary>The first parameter that is NaN or infinite, as a readable place, or null.</summary>
    public string? FindNonFinite()
    {
        var p = Parameters;
        if (TensorPrimitives.IsFiniteAll<T>(p)) return null; // the usual case, in vectors
        for (var i = 0; i < p.Length; i++)
            if (!T.IsFinite(p[i]))
                return i < Shape.WeightCount
                    ? $"weight [{i / Shape.Inputs}, {i % Shape.Inputs}] is {p[i]}"
                    : $"bias [{i - Shape.WeightCount}] is {p[i]}";
        return null;
    }

    private static Span<T> Slot(T[] state, int start, int length) => state.Length == 0 ? Span<T>.Empty : state.AsSpan(start, length);
}
