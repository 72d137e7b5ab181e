using ActorNet.Persistence;
using Xunit;

namespace ActorNet.Tests.Persistence;

/// <summary>When a run faults in memory for SQLite's copies of its checkpoints: only where glibc
/// keeps freed memory in the process (the node environment), and once per size.</summary>
public sealed class SqliteMemoryTests
{
    private const long MiB = 1 << 20;

    [Theory]
    [InlineData(SqliteMemory.Tunables)]
    [InlineData("glibc.malloc.hugetlb=1:" + SqliteMemory.Tunables)]
    [InlineData("glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_max=0:glibc.malloc.arena_max=1")]
    public void The_node_environments_tunables_keep_freed_memory(string tunables) =>
        Assert.True(SqliteMemory.KeepsFreedMemory(tunables, 1024 * MiB));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=0x100000000")] // every arena but one maps large blocks
    [InlineData("glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=0x100000000")] // large blocks mapped
    [InlineData("glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0")] // freed top of the heap handed back
    [InlineData("glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1000000")] // below the block
    [InlineData(SqliteMemory.Tunables + ":glibc.malloc.arena_max=2")] // glibc takes the last
    [InlineData("glibc.malloc.arena_max=1:glibc.malloc.mmap_max=zero:glibc.malloc.trim_threshold=0x100000000")]
    public void Other_tunables_do_not(string? tunables) =>
        Assert.False(SqliteMemory.KeepsFreedMemory(tunables, 1024 * MiB));

    [Fact]
    public void A_save_needs_two_copies_of_the_checkpoint_and_some_room() =>
        Assert.Equal(2 * 109 * MiB + 4 * MiB, SqliteMemory.ForCheckpoint(109 * MiB));

    [Fact]
    public void Memory_is_reserved_once_for_the_largest_checkpoint_and_not_without_the_tunables()
    {
        var bytes = SqliteMemory.Reserved + 8 * MiB;

        Assert.Equal(0, SqliteMemory.Reserve(bytes, "glibc.malloc.hugetlb=1"));
        Assert.Equal(bytes, SqliteMemory.Reserve(bytes, SqliteMemory.Tunables));
        Assert.Equal(0, SqliteMemory.Reserve(bytes - MiB, SqliteMemory.Tunables));
        Assert.Equal(0, SqliteMemory.Reserve(bytes, SqliteMemory.Tunables));
        Assert.Equal(bytes, SqliteMemory.Reserved);
    }
}
