namespace ActorNet.Numerics;

/// <summary>
/// The one random generator of ActorNet: xoshiro256** seeded through SplitMix64
/// (Blackman and Vigna, https://prng.di.unimi.it/). Our own code rather than
/// <see cref="System.Random"/> so that a seed gives the same sequence on every
/// machine and every .NET version, and so that its whole state (four words) can be
/// saved in a checkpoint and restored.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    private Rng(ulong s0, ulong s1, ulong s2, ulong s3) => (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);

    /// <summary>The generator's whole state, to save in a checkpoint.</summary>
    public ulong[] State => [_s0, _s1, _s2, _s3];

    public static Rng FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException($"an Rng state has 4 words, not {state.Length}", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("an all-zero Rng state is invalid", nameof(state));
        return new Rng(state[0], state[1], state[2], state[3]);
    }

    /// <summary>A generator for a named sub-stream, so that e.g. weight initialisation and
    /// data shuffling do not disturb each other's sequences.</summary>
    public static Rng ForStream(ulong seed, ulong stream) => new(seed ^ (0x9E3779B97F4A7C15UL * (stream + 1)));

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double NextDouble(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, bound), without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "must be positive");
        var threshold = (ulong)(-(long)(uint)bound) % (uint)bound; // 2^64 mod bound
        while (true)
        {
            var r = NextUInt64();
            var m = Math.BigMul(r, (ulong)bound, out var low);
            if (low >= threshold) return (int)m;
        }
    }

    /// <summary>Standard normal by the Box–Muller transform (one value per call, the pair's
    /// second is dropped so that the state alone determines the sequence).</summary>
    public double NextGaussian()
    {
        double u1;
        do { u1 = NextDouble(); } while (u1 <= double.Epsilon);
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (var i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
