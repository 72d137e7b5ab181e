namespace ActorNet.Training;

/// <summary>
/// Arrays of exact lengths whose ownership passes from actor to actor with the messages that
/// carry them: a layer rents its gradient sum here, sends it to its parameter shard, and the
/// shard returns it once the step is applied; the serializer returns what it has written to the
/// wire and rents what it reads from it. So a training step in its steady state allocates no
/// arrays, and the garbage collector has nothing to do.
/// </summary>
/// <remarks>
/// The rule that makes this safe: whoever returns an array gives it up, and never reads or writes
/// it again; whoever rents one owns it alone. An array that is never returned (a message dropped
/// on the way) is simply collected, and the next rent allocates: the pool costs nothing in
/// correctness, only its reuse depends on the arrays coming back. Thread-safe (one lock; a step
/// rents and returns a few arrays per layer).
/// </remarks>
public static class BufferPool<T> where T : unmanaged
{
    // Arrays kept per length beyond which a returned one is left to the collector: enough for the
    // gradient sums of a few steps in flight per layer (asynchronous training, several replicas).
    private const int KeepPerLength = 32;

    private static readonly Dictionary<int, Stack<T[]>> Free = [];
    private static long _allocated;

    /// <summary>Arrays allocated because none of the length was free: the count a steady state keeps still.</summary>
    public static long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>An array of exactly <paramref name="length"/> elements, now the caller's. Its
    /// contents are whatever its last owner left unless <paramref name="clear"/>.</summary>
    public static T[] Rent(int length, bool clear)
    {
        T[]? array = null;
        lock (Free)
            if (Free.TryGetValue(length, out var stack) && stack.Count > 0)
                array = stack.Pop();
        if (array is null)
        {
            Interlocked.Increment(ref _allocated);
            return new T[length]; // zeroed
        }
        if (clear) Array.Clear(array);
        return array;
    }

    /// <summary>Gives <paramref name="array"/> up: the caller must hold no other reference to it that it will use.</summary>
    public static void Return(T[]? array)
    {
        if (array is null || array.Length == 0) return;
        lock (Free)
        {
            if (!Free.TryGetValue(array.Length, out var stack)) Free[array.Length] = stack = new Stack<T[]>();
            // An array returned twice would be rented by two owners at once: a bug to stop at once
            // (at most KeepPerLength reference comparisons).
            foreach (var kept in stack)
                if (ReferenceEquals(kept, array))
                    throw new InvalidOperationException($"a {typeof(T).Name}[{array.Length}] was returned to the pool twice");
            if (stack.Count < KeepPerLength) stack.Push(array);
        }
    }
}
