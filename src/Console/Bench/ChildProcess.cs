using System.Diagnostics;
using System.Globalization;

namespace ActorNet.Cli.Bench;

/// <summary>A case's process: started with its options, waited for, and its last line of
/// standard output (its result) returned.</summary>
internal static class ChildProcess
{
    /// <summary>Adds "name value" to the arguments when the value is given.</summary>
    public static void AddOption(this ProcessStartInfo psi, string name, object? value)
    {
        if (value is null) return;
        psi.ArgumentList.Add(name);
        psi.ArgumentList.Add(Convert.ToString(value, CultureInfo.InvariantCulture)!);
    }

    /// <param name="what">names the process in the error: "case actors at batch 64"</param>
    /// <exception cref="InvalidOperationException">it failed or printed nothing; the message ends with its last lines of stderr</exception>
    public static async Task<string> RunForLastLineAsync(ProcessStartInfo psi, string what)
    {
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode == 0 && lines.Length > 0) return lines[^1];
        var errors = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        throw new InvalidOperationException($"{what} failed (exit {process.ExitCode}): {string.Join(Environment.NewLine, errors.TakeLast(15))}");
    }
}
