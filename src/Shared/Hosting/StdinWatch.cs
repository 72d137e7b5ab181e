using Serilog;

namespace ActorNet.Hosting;

/// <summary>Runs an action when the process's standard input reaches its end: what a node does
/// with <see cref="NodeSettings.ExitOnStdinClose"/>.</summary>
public static class StdinWatch
{
    /// <summary>Reads standard input (and discards it) on a background thread; at its end, logs
    /// and calls <paramref name="stop"/> once.</summary>
    public static void OnEnd(Action stop)
    {
        var thread = new Thread(() =>
        {
            using (var stdin = Console.OpenStandardInput())
            {
                var buffer = new byte[256];
                try
                {
                    while (stdin.Read(buffer) > 0) { }
                }
                catch (IOException) { } // a broken pipe is an end as well
            }
            Log.Information("Standard input closed: stopping (ExitOnStdinClose)");
            stop();
        }) { IsBackground = true, Name = "stdin-watch" };
        thread.Start();
    }
}
