using System.CommandLine;
using ActorNet.Cli.Commands;

namespace ActorNet.Cli;

/// <summary><c>actornet</c>: train locally, walk through the article's example, check specs,
/// submit runs to a cluster, predict with a trained model, inspect and export checkpoints.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        var root = new RootCommand("ActorNet: neural networks trained by Akka.NET actors")
        {
            LocalCommand.Create(),
            ExampleCommand.Create(),
            ValidateCommand.Create(),
            SubmitCommand.Create(),
            PredictCommand.Create(),
            CheckpointsCommand.Create(),
        };
        // Ctrl+C cancels the command's token; a run then finishes its step and saves what it
        // has, which may take longer than System.CommandLine's default 2 seconds.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
    }
}
