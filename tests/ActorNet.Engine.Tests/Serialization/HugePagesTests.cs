using System.Globalization;
using ActorNet.Serialization;
using Xunit;

namespace ActorNet.Tests.Serialization;

/// <summary>What <see cref="HugePages"/> is for: a checkpoint-sized buffer that the kernel backs
/// with 2 MiB pages, where Debian's default (transparent huge pages only where asked) would
/// give it 4 KiB ones.</summary>
public sealed class HugePagesTests
{
    private const string Mode = "/sys/kernel/mm/transparent_hugepage/enabled";

    [SkippableFact]
    public void An_advised_checkpoint_buffer_is_backed_by_huge_pages()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists(Mode) && File.ReadAllText(Mode).Contains("[madvise]"),
            $"needs Linux with transparent huge pages in madvise mode ({Mode})");
        // Larger than any array the other tests free, so that the GC takes fresh memory for it:
        // memory it hands out again may already be backed by small pages, which advice does not change.
        var buffer = GC.AllocateUninitializedArray<byte>(256 << 20);
        HugePages.Advise(buffer);
        buffer.AsSpan().Fill(1); // the first touch: the kernel picks the page size now

        Assert.True(HugePagesUnder(buffer) > 0, "no 2 MiB page backs the 256 MiB buffer after the advice");
    }

    /// <summary>AnonHugePages (kB) of the mappings the array overlaps, from /proc/self/smaps
    /// (the advice splits the array's mapping: the advised middle is a mapping of its own).</summary>
    private static unsafe long HugePagesUnder(byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            var (first, last) = ((ulong)p, (ulong)p + (ulong)buffer.Length);
            var overlaps = false;
            long total = 0;
            foreach (var line in File.ReadLines("/proc/self/smaps"))
            {
                // A mapping's first line: "7f9648000000-7f9648600000 rw-p 00000000 00:00 0".
                var dash = line.IndexOf('-');
                var space = line.IndexOf(' ');
                if (dash > 0 && space > dash && ulong.TryParse(line[..dash], NumberStyles.HexNumber, null, out var from)
                    && ulong.TryParse(line[(dash + 1)..space], NumberStyles.HexNumber, null, out var to))
                    overlaps = from < last && first < to;
                else if (overlaps && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                    total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            return total;
        }
    }
}
