using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActorNet.Integration.Tests;

/// <summary>
/// One real ActorNet process (<c>dotnet X.dll ...</c>) in its own scratch folder, with its
/// stdout and stderr kept (the last lines) and its log file known, so a failing test can say
/// what the process was doing. Every process started is also remembered in a static list
/// that is killed when the test host exits, so an aborted test run leaves no node behind; and
/// each holds a pipe from this process on its standard input and stops when it closes
/// (ExitOnStdinClose), which covers a test host killed with SIGKILL, whose exit handlers never run.
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

    /// <summary>Waits for the process to end by itself; its exit code and its stderr lines.</summary>
    public async Task<(int ExitCode, string[] Errors)> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // the asynchronous output readers are drained too
        Alive.TryRemove(_process.Id, out _);
        lock (_output) return (_process.ExitCode, _output.Where(l => l.StartsWith("[err] ", StringComparison.Ordinal)).Select(l => l[6..]).ToArray());
    }

    /// <summary>The lines the process wrote on stdout so far (the last <see cref="KeptLines"/> of both streams are kept).</summary>
    public string[] OutputLines()
    {
        lock (_output) return _output.Where(l => l.StartsWith("[out] ", StringComparison.Ordinal)).Select(l => l[6..]).ToArray();
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args… --log-file WORKDIR/NAME.log</c> in a new
    /// folder under <paramref name="root"/>.</summary>
    public static NodeProcess Start(string name, string dll, string root, params string[] args) =>
        Start(name, dll, root, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string, string, string, string[])"/>, with these environment variables as well.</summary>
    public static NodeProcess Start(string name, string dll, string root, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(name, dll, root, environment, logFileSwitch: true, args);

    /// <summary>Starts the console, <c>dotnet actornet.dll args…</c> (it takes no --log-file), in a new folder under <paramref name="root"/>.</summary>
    public static NodeProcess StartConsole(string name, string root, params string[] args) =>
        StartConsole(name, root, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="StartConsole(string, string, string[])"/>, with these environment variables as well.</summary>
    public static NodeProcess StartConsole(string name, string root, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(name, Cluster.BuiltDll("Console", "actornet"), root, environment, logFileSwitch: false, args);

    private static NodeProcess Start(string name, string dll, string root, IReadOnlyDictionary<string, string> environment, bool logFileSwitch, string[] args)
    {
        var workDir = Path.Combine(root, name);
        Directory.CreateDirectory(workDir);
        var logFile = Path.Combine(workDir, name + ".log");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (logFileSwitch)
        {
            psi.ArgumentList.Add("--log-file");
            psi.ArgumentList.Add(logFile);
        }
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["ACTORNET__EXITONSTDINCLOSE"] = "true";
        foreach (var (key, value) in environment) psi.Environment[key] = value;
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

    /// <summary>Closes this end of the pipe on the process's standard input, as the test host's
    /// death would: the node stops by itself (ExitOnStdinClose).</summary>
    public void CloseStandardInput() => _process.StandardInput.Close();

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
        sb.AppendLine($"  log {LogFile} (last lines, HTTP request chatter left out):");
        foreach (var l in ReadLog().Select(Render).Where(l => l is not null).TakeLast(lines)) sb.AppendLine("    " + Trim(l!));
        return sb.ToString();
    }

    /// <summary>Whether a rendered log line ("time level message") contains <paramref name="text"/>.</summary>
    public bool LogContains(string text) => ReadLog().Select(Render).Any(l => l?.Contains(text, StringComparison.Ordinal) == true);

    /// <summary>The log so far, rendered as in <see cref="Describe"/>, one event per line.</summary>
    public string LogText() => string.Join('\n', ReadLog().Select(Render).Where(l => l is not null));

    private string[] ReadLog()
    {
        try
        {
            // The node still writes to it: open shared, read what is there.
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException e)
        {
            return [$"(no log: {e.Message})"];
        }
    }

    /// <summary>A compact-JSON (CLEF) event as "time level message [exception]"; null for
    /// ASP.NET Core's per-request information lines, which would crowd out everything else.</summary>
    private static string? Render(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var level = e.TryGetProperty("@l", out var l) ? l.GetString() : "Information";
            var source = e.TryGetProperty("SourceContext", out var sc) ? sc.GetString() ?? "" : "";
            if (level == "Information" && source.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)) return null;
            var text = e.TryGetProperty("@mt", out var mt) ? mt.GetString() ?? "" : "";
            text = Regex.Replace(text, @"\{@?(\w+)(:[^}]*)?\}", m =>
                e.TryGetProperty(m.Groups[1].Value, out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()) : m.Value);
            var time = e.TryGetProperty("@t", out var t) && t.GetString() is { Length: >= 23 } ts ? ts[11..23] : "";
            var exception = e.TryGetProperty("@x", out var x) ? " | " + x.GetString()?.Split('\n')[0] : "";
            return $"{time} {level} {text}{exception}";
        }
        catch (JsonException)
        {
            return line;
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
