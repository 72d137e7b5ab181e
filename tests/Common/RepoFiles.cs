namespace ActorNet.Tests;

/// <summary>The repository's files, for tests that read them (examples, deploy files): the folder
/// with ActorNet.sln, found from the test binaries upwards.</summary>
public static class RepoFiles
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ActorNet.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("ActorNet.sln not found above " + AppContext.BaseDirectory);
    }
}
