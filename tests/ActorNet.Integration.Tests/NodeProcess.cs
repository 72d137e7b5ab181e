using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace ActorNet.Integration.Tests;

/// <summary>
/// One real ActorNet process (<c>dotnet X.dll ...</c>) in its own scratch folder, with its
/// stdout and stderr kept (the last lines) and its log file known, so a failing test can say
/// what the process was doing. Every process started is also remembered in a static list
/// that is killed when the test host exits, so an aborted test run leaves no node behind.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private const int KeptLines = 200;
    private static readonly ConcurrentDictionary<int, Process> Alive = new();

    static NodeProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var p in Alive.Values) TryKill(p);
    };

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private NodeProcess(string name, string workDir, string logFile, Process process)
    {
        Name = name;
        WorkDir = workDir;
        LogFile = logFile;
        _process = process;
    }

    public string Name { get; }
    public string WorkDir { get; }
    public string LogFile { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args… --log-file WORKDIR/NAME.log</c> in a new
    /// folder under <paramref name="root"/>.</summary>
    public static NodeProcess Start(string name, string dll, string root, params string[] args)
    {
        var workDir = Path.Combine(root, name);
        Directory.CreateDirectory(workDir);
        var logFile = Path.Combine(workDir, name + ".log");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--log-file");
        psi.ArgumentList.Add(logFile);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = psi };
        var node = new NodeProcess(name, workDir, logFile, process);
        process.OutputDataReceived += (_, e) => node.Keep("out", e.Data);
        process.ErrorDataReceived += (_, e) => node.Keep("err", e.Data);
        process.Start();
        Alive[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private void Keep(string stream, string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue($"[{stream}] {line}");
            while (_output.Count > KeptLines) _output.Dequeue();
        }
    }

    /// <summary>SIGKILL on Linux: .NET's Process.Kill sends SIGKILL, the process gets no chance
    /// to leave the cluster gracefully — a crash, as far as the cluster can tell.</summary>
    public void KillHard()
    {
        TryKill(_process);
        _process.WaitForExit(10_000);
        Alive.TryRemove(_process.Id, out _);
    }

    /// <summary>The last lines of stdout/stderr and of the log file, for failure messages.</summary>
    public string Describe(int lines = 25)
    {
        var sb = new StringBuilder();
        var state = _process.HasExited ? $"exited with {SafeExitCode()}" : "running";
        sb.AppendLine($"--- {Name} (pid {_process.Id}, {state}) ---");
        string[] output;
        lock (_output) output = _output.ToArray();
        if (output.Length > 0)
        {
            sb.AppendLine("  stdout/stderr (last lines):");
            foreach (var l in output.TakeLast(lines)) sb.AppendLine("    " + Trim(l));
        }
        sb.AppendLine($"  log {LogFile} (last lines):");
        foreach (var l in TailOfLog(lines)) sb.AppendLine("    " + Trim(l));
        return sb.ToString();
    }

    private IEnumerable<string> TailOfLog(int lines)
    {
        try
        {
            // The node still writes to it: open shared, read what is there.
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return all.TakeLast(lines).ToArray();
        }
        catch (IOException e)
        {
            return [$"(no log: {e.Message})"];
        }
    }

    private static string Trim(string line) => line.Length > 600 ? line[..600] + " …" : line;

    private string SafeExitCode()
    {
        try { return _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture); }
        catch (InvalidOperationException) { return "?"; }
    }

    private static void TryKill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose()
    {
        TryKill(_process);
        _process.WaitForExit(10_000);
        Alive.TryRemove(_process.Id, out _);
        _process.Dispose();
    }
}
