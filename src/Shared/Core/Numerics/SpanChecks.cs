namespace ActorNet.Numerics;

/// <summary>
/// Argument checks shared by the element-wise kernels. The kernels index spans by
/// computed offsets, so a length mismatch would otherwise surface as an
/// IndexOutOfRangeException deep in a loop (or, worse, silently use a prefix); checking
/// up front names the argument and says what was expected.
/// </summary>
internal static class SpanChecks
{
    /// <summary>Checks batch and n and returns batch·n, the element count of a (batch, n) matrix.</summary>
    public static int MatrixSize(int batch, int n)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must not be negative");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must not be negative");
        var size = (long)batch * n;
        if (size > int.MaxValue)
            throw new ArgumentException($"a ({batch}, {n}) matrix has {size} elements, more than a span can hold", nameof(batch));
        return (int)size;
    }

    /// <summary>Checks that a span holds a (rows, cols) matrix. The message, naming the shape, is only
    /// formatted when the check fails: the kernels must not allocate on their normal path.</summary>
    public static void Length(int actual, int expected, string argument, int rows, int cols, string rowsName = "batch", string colsName = "n")
    {
        if (actual != expected) ThrowLength(actual, expected, argument, $"({rowsName} {rows}, {colsName} {cols})");
    }

    /// <summary>Checks that a span holds a vector of <paramref name="expected"/> elements;
    /// <paramref name="why"/> should be a literal so that nothing is formatted unless the check fails.</summary>
    public static void Length(int actual, int expected, string argument, string why)
    {
        if (actual != expected) ThrowLength(actual, expected, argument, why);
    }

    private static void ThrowLength(int actual, int expected, string argument, string why) =>
        throw new ArgumentException($"{argument} has {actual} elements; expected {expected} for {why}", argument);

    /// <summary>Case-insensitive name lookup that also ignores '_' and '-', so "leaky_relu",
    /// "leaky-relu" and "LeakyRelu" all match "leakyrelu". Allocation-free: names are parsed
    /// once per run spec, but there is no reason to allocate a normalised copy either.</summary>
    public static bool NameEquals(string candidate, string normalisedName)
    {
        var j = 0;
        foreach (var c in candidate)
        {
            if (c is '_' or '-') continue;
            if (j >= normalisedName.Length || char.ToLowerInvariant(c) != normalisedName[j]) return false;
            j++;
        }
        return j == normalisedName.Length;
    }
}
