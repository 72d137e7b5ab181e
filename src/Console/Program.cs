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
            BenchCommand.Create(),
            BenchCommand.CreateCase(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad input is exit code 2 everywhere (System.CommandLine's own is 1, with the whole help text).
            foreach (var error in parse.Errors)
                Console.Error.WriteLine(System.Text.RegularExpressions.Regex.Replace(error.Message, @"System\.Nullable`1\[System\.(\w+)\]|System\.(\w+)", m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value));
            var path = new List<string>();
            for (var r = parse.CommandResult; r is not null && r.Command != root; r = r.Parent as System.CommandLine.Parsing.CommandResult) path.Insert(0, r.Command.Name);
            Console.Error.WriteLine($"See 'actornet {string.Join(' ', [.. path, "--help"])}'.");
            return Task.FromResult(2);
        }
        // Ctrl+C cancels the command's token; a run then finishes its step and saves what it
        // has, which may take longer than System.CommandLine's default 2 seconds.
        return parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
    }
}
