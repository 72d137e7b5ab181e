using System.Xml.Linq;
using ActorNet.Numerics;
using Xunit;

namespace ActorNet.Tests;

/// <summary>The layers of the code stay apart: the project references allow no cycle and no
/// shortcut (docs/design.md draws the graph), and the core never reaches for an actor or a database.</summary>
public class ProjectGraphTests
{
    // Each project of src/, and the projects of src/ it may reference (directly).
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["ActorNet.Core"] = [],
        ["ActorNet.Engine"] = ["ActorNet.Core"],
        ["ActorNet.Storage"] = ["ActorNet.Engine"],
        ["ActorNet.Hosting"] = ["ActorNet.Engine", "ActorNet.Storage"],
        ["ActorNet.Coordinator"] = ["ActorNet.Hosting"],
        ["ActorNet.Worker"] = ["ActorNet.Hosting"],
        ["ActorNet.Console"] = ["ActorNet.Hosting", "ActorNet.Coordinator"],
    };

    [Fact]
    public void Every_project_references_only_the_layers_below_it()
    {
        var projects = Directory.EnumerateFiles(RepoFiles.PathOf("src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), p => p);
        Assert.Equal(Allowed.Keys.Order(), projects.Keys.Order());
        foreach (var (name, path) in projects)
        {
            var references = XDocument.Load(path).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value)).Order().ToArray();
            Assert.True(references.SequenceEqual(Allowed[name].Order()),
                $"{Path.GetRelativePath(RepoFiles.Root, path)} references [{string.Join(", ", references)}]; it may reference [{string.Join(", ", Allowed[name])}]");
        }
    }

    [Fact]
    public void The_core_references_no_actor_database_or_logging_package()
    {
        var core = typeof(Dense).Assembly;
        Assert.Equal("ActorNet.Core", core.GetName().Name);
        string[] forbidden = ["Akka", "Npgsql", "Microsoft.Data.Sqlite", "linq2db", "Serilog", "ActorNet."];
        var offending = core.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => forbidden.Any(f => n.StartsWith(f, StringComparison.OrdinalIgnoreCase))).ToArray();
        Assert.True(offending.Length == 0, $"ActorNet.Core references {string.Join(", ", offending)}");

        var packages = XDocument.Load(RepoFiles.PathOf("src", "Shared", "Core", "ActorNet.Core.csproj")).Descendants("PackageReference")
            .Select(r => r.Attribute("Include")!.Value).ToArray();
        Assert.DoesNotContain(packages, p => forbidden.Any(f => p.StartsWith(f, StringComparison.OrdinalIgnoreCase)));
    }
}
