namespace ActorNet.Cli;

/// <summary>
/// With <c>--json</c>, stdout carries the result line and nothing else: everything else that
/// writes to Console.Out from then on (Akka prints its last log events to stdout while an
/// actor system shuts down) is sent to stderr instead.
/// </summary>
internal static class ResultOutput
{
    /// <summary>Returns the real stdout for the result, and points Console.Out at stderr.</summary>
    public static TextWriter Reserve()
    {
        var stdout = Console.Out;
        Console.SetOut(Console.Error);
        return stdout;
    }
}
