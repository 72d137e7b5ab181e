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
/// <remarks>
/// Allocation-free in synchronous training: the parameters live in two arrays that take turns,
/// the update reading one and writing the other, so the array sent out as version v is written
/// again only for version v + 2, when every replica has computed step v + 1 on version v + 1 (and
/// nobody reads version v any more: see <see cref="Parameters"/>). The gradient parts it is
/// given become its own and go back to <see cref="BufferPool{T}"/> once applied or dropped.
/// Asynchronous training (<see cref="ApplyNow"/>) gives replicas parameters they may use for
/// several updates, so there every update writes a new array.
/// </remarks>
public sealed class ParameterShard<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly OptimizerSettings _optimizer;
    private readonly bool _trainBiases;
    private readonly bool _keepAverage;
    private readonly T[]?[] _parts;
    private readonly int[] _rows;
    private readonly T[] _first;
    private readonly T[] _second;
    private T[] _spare;     // the array the next synchronous update writes
    private T[]? _sum;      // Σ of the parts when a step has more than one
    private long _pendingStep = -1;
    private int _received;

    /// <param name="version">updates already applied to <paramref name="parameters"/> (a run resumed from a checkpoint)</param>
    /// <param name="firstMoment">the optimizer's first state slot to continue from (else zeros); see <see cref="Capture"/></param>
    /// <param name="secondMoment">the optimizer's second state slot to continue from (else zeros)</param>
    /// <param name="keepAverage">keep each update's mean gradient in <see cref="LastAverage"/> (a traced run)</param>
    public ParameterShard(int layer, LayerShape shape, T[] parameters, OptimizerSettings optimizer, bool trainBiases, int maxParts = 64,
        long version = 0, T[]? firstMoment = null, T[]? secondMoment = null, bool keepAverage = false)
    {
        if (parameters.Length != shape.ParameterCount)
            throw new ArgumentException($"layer {layer} needs {shape.ParameterCount} parameters, got {parameters.Length}", nameof(parameters));
        Layer = layer;
        Shape = shape;
        Parameters = (T[])parameters.Clone(); // written again two updates from now: not the caller's array
        _spare = new T[parameters.Length];
        _optimizer = optimizer;
        _trainBiases = trainBiases;
        _keepAverage = keepAverage;
        _parts = new T[maxParts][];
        _rows = new int[maxParts];
        var slots = Optimizers.StateSlots(optimizer.Kind);
        _first = Slot(firstMoment, slots >= 1, "first");
        _second = Slot(secondMoment, slots >= 2, "second");
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
    /// <summary>The current parameters. Whoever is given them may read them until the update
    /// after next: synchronous updates alternate between two arrays (see the remarks).</summary>
    public T[] Parameters { get; private set; }
    /// <summary>Updates applied so far; the forward pass of step t uses version t.</summary>
    public long Version { get; private set; }
    /// <summary>Gradient parts that arrived for a step other than the one pending, or twice.</summary>
    public long DroppedParts { get; private set; }
    /// <summary>The mean gradient of the last update, when the shard was made to keep it (else null);
    /// the next update overwrites it.</summary>
    public T[]? LastAverage { get; private set; }

    /// <summary>Adds one part of step <paramref name="step"/>'s gradient, which the shard now
    /// owns. Returns true once all <paramref name="parts"/> parts are in and the parameters are
    /// updated, else false. A part for a step already applied, or a duplicate (a part computed
    /// again after its replica was lost, when the first copy had got through), is dropped and counted.</summary>
    public bool Add(long step, int part, int parts, int rows, T[] gradient)
    {
        if (gradient.Length != Parameters.Length)
            throw new ArgumentException($"layer {Layer}: gradient of {gradient.Length} values, expected {Parameters.Length}", nameof(gradient));
        if (step != Version || (uint)part >= (uint)parts || parts > _parts.Length)
        {
            Drop(gradient);
            return false;
        }
        if (_pendingStep != step)
        {
            ReturnParts();
            _pendingStep = step;
            _received = 0;
        }
        if (_parts[part] is not null)
        {
            Drop(gradient);
            return false;
        }
        _parts[part] = gradient;
        _rows[part] = rows;
        if (++_received < parts) return false;
        var next = _spare;
        Apply(parts, next);
        _spare = Parameters;
        Parameters = next;
        return true;
    }

    /// <summary>Asynchronous training: applies one worker's gradient (summed over its
    /// <paramref name="rows"/> samples, and now the shard's) at once, whatever step it came
    /// from, into a new parameter array.</summary>
    public void ApplyNow(int rows, T[] gradient)
    {
        if (gradient.Length != Parameters.Length)
            throw new ArgumentException($"layer {Layer}: gradient of {gradient.Length} values, expected {Parameters.Length}", nameof(gradient));
        _parts[0] = gradient;
        _rows[0] = rows;
        var next = new T[Parameters.Length];
        Apply(1, next);
        Parameters = next;
    }

    private void Apply(int parts, T[] next)
    {
        // Σ_k part_k in part order, then × 1/rows inside the optimizer: the mean gradient of the
        // global batch, rounded exactly as if it were stored first.
        var sum = _parts[0]!;
        var rows = _rows[0];
        if (parts > 1)
        {
            sum = _sum ??= new T[Parameters.Length];
            _parts[0].AsSpan().CopyTo(sum);
            for (var k = 1; k < parts; k++)
            {
                TensorPrimitives.Add<T>(sum, _parts[k]!, sum); // element-wise, so the same sums as a scalar loop
                rows += _rows[k];
            }
        }
        var scale = T.One / T.CreateChecked(rows);
        if (_keepAverage) TensorPrimitives.Multiply(sum, scale, LastAverage ??= new T[sum.Length]);

        var w = Shape.WeightCount;
        var t = Version + 1;
        var current = Parameters;
        Optimizers.Apply<T>(_optimizer, current.AsSpan(0, w), next.AsSpan(0, w), sum.AsSpan(0, w), scale,
            Slot(_first, 0, w), Slot(_second, 0, w), t, decay: true);
        if (_trainBiases)
            Optimizers.Apply<T>(_optimizer, current.AsSpan(w), next.AsSpan(w), sum.AsSpan(w), scale,
                Slot(_first, w, Shape.Outputs), Slot(_second, w, Shape.Outputs), t, decay: false);
        else
            current.AsSpan(w).CopyTo(next.AsSpan(w));
        Version = t;
        ReturnParts();
    }

    private void Drop(T[] gradient)
    {
        DroppedParts++;
        BufferPool<T>.Return(gradient);
    }

    private void ReturnParts()
    {
        for (var k = 0; k < _parts.Length; k++)
        {
            BufferPool<T>.Return(_parts[k]);
            _parts[k] = null;
        }
    }

    /// <summary>The shard's whole state, for a checkpoint: copies of the parameters and of the
    /// optimizer slots (the shard writes both again).</summary>
    public (long Version, T[] Parameters, T[] FirstMoment, T[] SecondMoment) Capture() =>
        (Version, (T[])Parameters.Clone(), (T[])_first.Clone(), (T[])_second.Clone());

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
