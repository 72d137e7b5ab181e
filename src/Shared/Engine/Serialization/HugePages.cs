using System.Runtime.InteropServices;

namespace ActorNet.Serialization;

/// <summary>
/// Asks Linux to back a large, fresh buffer with 2 MiB transparent huge pages.
/// <para>
/// Why: a checkpoint of a 10-million-parameter Adam run is one 114 MB payload, written into a
/// new array each time, and read back into three new 40 MB arrays. On our VM, faulting in its
/// 28,000 4 KiB pages cost more than copying the bytes (perf: most of the serializer's time in
/// <c>exc_page_fault</c>; the checkpoint benchmark's save went from 1.9 s to 1.3 s). Debian's
/// default transparent-huge-page mode is <c>madvise</c>: the kernel uses huge pages only where a
/// process asks with <c>madvise(MADV_HUGEPAGE)</c>, and .NET's GC does not ask.
/// </para>
/// <para>
/// The advice only changes how the kernel backs pages not yet touched; it never changes their
/// contents, so a failed or ignored call costs nothing but speed. Not used for messages between
/// nodes (about 1 MB): they are below <see cref="MinimumBytes"/>.
/// </para>
/// </summary>
internal static partial class HugePages
{
    /// <summary>Buffers at least this large are advised: 4 huge pages, so most of one is covered.</summary>
    public const int MinimumBytes = 8 << 20;

    private const long HugePageBytes = 2 << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE, <linux/mman.h>

    /// <summary>Advises the 2 MiB-aligned part of <paramref name="array"/>. Call before writing it.
    /// The array is on the large-object heap, which the GC does not move unless told to compact it.</summary>
    public static unsafe void Advise<T>(T[] array) where T : unmanaged
    {
        var bytes = (long)array.Length * sizeof(T);
        if (bytes < MinimumBytes || !OperatingSystem.IsLinux() || _unavailable) return;
        fixed (T* first = array)
        {
            var start = ((long)first + HugePageBytes - 1) & ~(HugePageBytes - 1);
            var end = ((long)first + bytes) & ~(HugePageBytes - 1);
            if (end <= start) return;
            try
            {
                _ = Madvise((nint)start, (nuint)(end - start), MadviseHugePage);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _unavailable = true; // a C library without madvise: the buffers stay on small pages
            }
        }
    }

    private static bool _unavailable;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
