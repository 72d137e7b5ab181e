using Xunit;

namespace ActorNet.Cli.Tests;

/// <summary>Options and commands the console cannot read: bad input, so exit code 2 and a short
/// message naming the option and where to look, not the whole help text.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "local", "--workers", "two", "--spec", "x.json" },
        "Cannot parse argument 'two' for option '--workers' as expected type 'Int32'.", "See 'actornet local --help'.")]
    [InlineData(new[] { "checkpoints", "show", "abcd", "--step", "last" },
        "Cannot parse argument 'last' for option '--step' as expected type 'Int64'.", "See 'actornet checkpoints show --help'.")]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'.", "See 'actornet --help'.")]
    public async Task An_option_or_command_that_cannot_be_read_is_exit_code_2_with_the_reason(string[] args, string reason, string hint)
    {
        using var cli = new Cli();
        var (code, stdout, stderr) = await cli.RunAsync(TimeSpan.FromMinutes(1), args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.Trim().Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains(reason, lines);
        Assert.Equal(hint, lines[^1]);
        Assert.Empty(Directory.GetFileSystemEntries(cli.WorkDir));  // nothing written: no database, no logs
    }
}
