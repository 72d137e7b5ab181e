using System.CommandLine;
using ActorNet.Model;

namespace ActorNet.Cli.Commands;

/// <summary><c>actornet validate SPEC</c>: reads a run spec and lists every mistake in it.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "run spec JSON file" };
        var command = new Command("validate", "Check a run spec and list every mistake in it") { spec };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(spec)!;
            try
            {
                var s = RunSpecReader.Load(file.FullName);
                Console.Out.WriteLine($"{file.Name}: valid ({s.Layers.Count} layers, loss {s.Loss}, optimizer {s.Optimizer.Kind})");
                return 0;
            }
            catch (RunSpecException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        });
        return command;
    }
}
