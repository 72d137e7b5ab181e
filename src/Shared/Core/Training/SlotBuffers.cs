namespace ActorNet.Training;

/// <summary>
/// One array per micro-batch slot, reused step after step: the activations, deltas and the like
/// that a layer or a neuron group produces for micro-batch k of a step are written into slot k's
/// array, which keeps the largest size asked for (a step's last, smaller batch reuses it; the
/// callers pass the rows and use the leading rows × width elements).
/// </summary>
/// <remarks>
/// Why reuse is safe: a replica works on one step at a time, and micro-batch k of the next step
/// goes forward only after micro-batch k of this one has come back through every layer, so by
/// the time a slot's array is written again, nobody reads what it held.
/// </remarks>
public sealed class SlotBuffers<T>
{
    private T[]?[] _slots = [];

    /// <summary>Slot <paramref name="slot"/>'s array, of at least <paramref name="length"/> elements.</summary>
    public T[] Get(int slot, int length)
    {
        if (slot >= _slots.Length) Array.Resize(ref _slots, slot + 1);
        var array = _slots[slot];
        if (array is null || array.Length < length) _slots[slot] = array = new T[length];
        return array;
    }
}
