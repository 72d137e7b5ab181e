using System.Diagnostics;
using System.Text;
using ActorNet.Tests;

namespace ActorNet.Cli.Tests;

/// <summary>Runs the built <c>actornet</c> as a user would, in a scratch folder that is
/// deleted afterwards; the process is killed if it overruns, also when the test fails.</summary>
internal sealed class Cli : IDisposable
{
    public Cli() => Directory.CreateDirectory(WorkDir);

    public string WorkDir { get; } = Path.Combine(Path.GetTempPath(), "actornet-cli-" + Guid.NewGuid().ToString("N"));

    public static string Example(string name) => RepoFiles.PathOf("examples", name);

    public string PathIn(string name) => Path.Combine(WorkDir, name);

    public Task<(int ExitCode, string Out, string Err)> RunAsync(TimeSpan timeout, params string[] args) =>
        RunAsync(timeout, onLine: null, args);

    /// <summary>Runs actornet; <paramref name="onLine"/> sees each stdout line with the process
    /// (to signal it, say) as it is printed.</summary>
    public async Task<(int ExitCode, string Out, string Err)> RunAsync(TimeSpan timeout, Action<string, Process>? onLine, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = WorkDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "actornet.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            onLine?.Invoke(e.Data, process);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"actornet {string.Join(' ', args)} did not end within {timeout}\n" + Tail(stdout, "stdout") + Tail(stderr, "stderr") + LogTail());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string Tail(StringBuilder text, string name)
    {
        string[] lines;
        lock (text) lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"--- {name}, last lines:\n{string.Join('\n', lines.TakeLast(15))}\n";
    }

    /// <summary>The last events of the log the command wrote in its folder (logs/actornet-ROLE.log).</summary>
    private string LogTail()
    {
        var logs = Path.Combine(WorkDir, "logs");
        if (!Directory.Exists(logs)) return "--- no log\n";
        return string.Concat(Directory.GetFiles(logs).Select(f =>
            $"--- {Path.GetFileName(f)}, last events:\n{string.Join('\n', File.ReadLines(f).TakeLast(15))}\n"));
    }

    public void Dispose()
    {
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
