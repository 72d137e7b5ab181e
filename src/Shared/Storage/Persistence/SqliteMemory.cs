using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace ActorNet.Persistence;

/// <summary>
/// Faults in, before a run's first save, the native memory SQLite will copy its checkpoints into.
/// <para>
/// Why: storing a blob, SQLite copies it twice in native memory (the bound parameter, which
/// Microsoft.Data.Sqlite binds as <c>SQLITE_TRANSIENT</c>, and the record it builds from it):
/// 2 × 109 MiB for the checkpoint benchmark's 10-million-parameter Adam run. glibc serves blocks
/// that large with a fresh <c>mmap</c> each time, and faulting them in while training keeps this
/// 2-core machine busy made a process's first save take 0.5 to 1.1 s (docs/operations.md, "Checkpoints and
/// resume"); the same 240 MiB faulted in before training took some 30 ms.
/// </para>
/// <para>
/// With the node environment's malloc settings (one arena, no <c>mmap</c>, no trimming;
/// <c>deploy/node-environment.sh</c>) a freed block stays in the process's heap, and the next
/// blocks are cut from it. So a block allocated here, written once per page and freed is the
/// memory SQLite's copies get, already backed. Without those settings a freed block would go back
/// to the kernel at once, and this does nothing.
/// </para>
/// </summary>
public static class SqliteMemory
{
    /// <summary>glibc's tunables (<c>GLIBC_TUNABLES</c>) that keep freed memory in the process.</summary>
    public const string Tunables = "glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=0x100000000";

    private const int PageBytes = 4096;
    private static readonly Lock _lock = new();
    private static long _reserved;

    /// <summary>Bytes reserved so far in this process (the largest reservation).</summary>
    public static long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Native memory a run's saves take on SQLite: two copies of a checkpoint of
    /// <paramref name="checkpointBytes"/>, and 4 MiB for the rest of the row and SQLite's pages.</summary>
    public static long ForCheckpoint(long checkpointBytes) => 2 * checkpointBytes + (4 << 20);

    /// <summary>Reserves <see cref="ForCheckpoint"/> bytes when <paramref name="system"/> stores to
    /// SQLite (it has <see cref="WalCheckpoints"/>). Returns the bytes newly reserved, or 0.</summary>
    public static long ReserveFor(ActorSystem system, long checkpointBytes) =>
        system.HasExtension<WalCheckpoints>() ? Reserve(ForCheckpoint(checkpointBytes), Environment.GetEnvironmentVariable("GLIBC_TUNABLES")) : 0;

    /// <summary>Allocates <paramref name="bytes"/>, writes a byte per page and frees them, unless
    /// an earlier reservation was as large, or <paramref name="tunables"/> (the process's
    /// <c>GLIBC_TUNABLES</c>) do not keep freed memory (<see cref="KeepsFreedMemory"/>).
    /// Returns the bytes newly reserved, or 0.</summary>
    public static unsafe long Reserve(long bytes, string? tunables)
    {
        if (!OperatingSystem.IsLinux() || !KeepsFreedMemory(tunables, bytes)) return 0;
        lock (_lock)
        {
            if (bytes <= _reserved) return 0;
            var block = (byte*)NativeMemory.Alloc((nuint)bytes);
            for (long i = 0; i < bytes; i += PageBytes) block[i] = 1;
            NativeMemory.Free(block);
            Interlocked.Exchange(ref _reserved, bytes);
            return bytes;
        }
    }

    /// <summary>Whether glibc, given <paramref name="tunables"/>, keeps a freed block of
    /// <paramref name="bytes"/> in the heap every thread allocates from: one arena (other arenas'
    /// heaps are 64 MiB at most, so larger blocks from them are mapped anyway), no mapped blocks,
    /// and a trim threshold above the block.</summary>
    public static bool KeepsFreedMemory(string? tunables, long bytes)
    {
        var values = (tunables ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0], p => Number(p[1])).ToDictionary(g => g.Key, g => g.Last()); // glibc takes the last
        return values.GetValueOrDefault("glibc.malloc.arena_max") == 1
               && values.GetValueOrDefault("glibc.malloc.mmap_max", -1) == 0
               && values.GetValueOrDefault("glibc.malloc.trim_threshold") > bytes;
    }

    /// <summary>A tunable's value as glibc reads it (decimal, or hexadecimal after 0x); -1 if neither.</summary>
    private static long Number(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) ? hex : -1
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
}
