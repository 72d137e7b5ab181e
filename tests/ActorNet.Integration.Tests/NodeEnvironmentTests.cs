using System.Text.Json;
using System.Text.RegularExpressions;
using ActorNet.Tests;
using Xunit;

namespace ActorNet.Integration.Tests;

/// <summary>
/// The runtime and glibc read the node environment (generation-0 budget, huge pages for SQLite's
/// copies) only from the environment, so it is written down in several places: the script the
/// cluster scripts source, the container image, and the launch settings of <c>dotnet run</c>.
/// A node must get the same environment whichever way it is started.
/// </summary>
public sealed class NodeEnvironmentTests
{
    [Fact]
    public void Every_way_of_starting_a_node_gives_it_the_environment_of_the_script()
    {
        var script = Script;
        var expected = ScriptEnvironment();
        Assert.Equal(["DOTNET_GCgen0size", "GLIBC_TUNABLES"], expected.Keys.Order());
        Assert.True(ActorNet.Persistence.SqliteMemory.KeepsFreedMemory(expected["GLIBC_TUNABLES"], 1L << 30),
            $"{script}: GLIBC_TUNABLES does not keep freed memory in the process, so runs cannot fault in their saves' memory beforehand");

        foreach (var project in new[] { "Coordinator", "Worker" })
        {
            var file = RepoFiles.PathOf("src", project, "Properties", "launchSettings.json");
            using var settings = JsonDocument.Parse(File.ReadAllText(file));
            var profile = Assert.Single(settings.RootElement.GetProperty("profiles").EnumerateObject()).Value;
            var variables = profile.GetProperty("environmentVariables").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            Assert.Equal($"{file}: {Describe(expected)}", $"{file}: {Describe(variables)}");
        }

        var dockerfile = RepoFiles.PathOf("deploy", "Dockerfile");
        var image = File.ReadAllText(dockerfile);
        foreach (var (name, value) in expected)
            Assert.True(Regex.IsMatch(image, $@"\b{name}={Regex.Escape(value)}(\s|$)"), $"{dockerfile} does not set {name}={value}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_run_on_SQLite_faults_in_the_memory_of_its_saves_in_the_node_environment_only(bool nodeEnvironment)
    {
        using var folder = new TempDirectory();
        var environment = nodeEnvironment ? ScriptEnvironment() : new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1" };
        using var local = NodeProcess.StartConsole("local", folder.PathName, environment,
            "local", "--spec", RepoFiles.PathOf("examples", "circles.json"), "--db", folder.File("runs.db"));

        var (exitCode, errors) = await local.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(exitCode == 0, $"exit code {exitCode}: {string.Join('\n', errors)}");
        var log = File.ReadAllText(Path.Combine(local.WorkDir, "logs", "actornet-local.log"));
        Assert.Equal(nodeEnvironment, log.Contains("of native memory for SQLite's copies of its checkpoints", StringComparison.Ordinal));
    }

    private static string Script => RepoFiles.PathOf("deploy", "node-environment.sh");

    /// <summary>deploy/node-environment.sh: one "export NAME=${NAME:-VALUE}" line per variable.</summary>
    private static Dictionary<string, string> ScriptEnvironment() =>
        Regex.Matches(File.ReadAllText(Script), @"^export (\w+)=\$\{\1:-([^}]*)\}$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    private static string Describe(Dictionary<string, string> variables) =>
        string.Join(" ", variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
}
