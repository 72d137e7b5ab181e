using ActorNet.Bench;
using BenchmarkDotNet.Running;

// "checkpoints": the end-to-end checkpoint save and recovery measurement; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "checkpoints")
{
    try
    {
        return await CheckpointBenchmark.RunAsync(args[1..]);
    }
    catch (ActorNet.Persistence.DatabaseException e)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }
}
BenchmarkSwitcher.FromAssembly(typeof(CheckpointBenchmark).Assembly).Run(args);
return 0;
