# The environment every ActorNet node process should start with: settings the .NET runtime and
# glibc read only from the environment, at process start. Sourced by deploy/start-local-cluster.sh
# and bench/cluster-throughput.sh; deploy/Dockerfile and the launch settings of `dotnet run`
# (src/Coordinator/Properties/launchSettings.json, src/Worker/...) set the same values. A value already in the
# environment is kept (DOTNET_GCgen0size=0 gives the runtime's default).
# - DOTNET_GCgen0size: a 64 MiB generation-0 budget for the short-lived arrays of each training
#   step (Directory.Build.targets says why).
# - GLIBC_TUNABLES: SQLite's copies of a checkpoint (100 MB and more) on 2 MiB pages (hugetlb),
#   in memory the process keeps once freed (one arena, no mmap, no trimming), which a run faults
#   in before its first save (src/Shared/Storage/Persistence/SqliteMemory.cs; docs/operations.md, "Checkpoints and resume").
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x4000000}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=0x100000000}
