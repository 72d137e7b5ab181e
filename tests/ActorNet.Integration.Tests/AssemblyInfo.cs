using Xunit;

// Every test starts its own coordinator and workers; on 2 cores, clusters running side by
// side would starve each other's heartbeats and make timings meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
