using System.Text;

namespace ActorNet.Hosting;

/// <summary>
/// A writer that passes whole lines on to another and, once closed, drops everything after.
/// A starting node's stderr goes through one: a log event that picked up the stream before the
/// start failed is either written in full before <see cref="Close"/> returns or not at all, so
/// the node's own last line really is last. (Serilog's console sink chooses its stream before
/// it takes its lock, so swapping <see cref="Console.Error"/> alone could not promise that.)
/// </summary>
public sealed class ClosableWriter(TextWriter inner) : TextWriter
{
    private readonly TextWriter _inner = inner;
    private readonly StringBuilder _line = new();
    private readonly Lock _lock = new();
    private bool _closed;

    public override Encoding Encoding => _inner.Encoding;

    public override void Write(char value) => Append(new ReadOnlySpan<char>(in value));

    public override void Write(string? value) => Append(value);

    public override void Write(char[] buffer, int index, int count) => Append(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Append(buffer);

    public override void Flush()
    {
        lock (_lock)
        {
            if (!_closed) PassOn();
        }
    }

    /// <summary>Waits for a write under way, then drops whatever comes after and any partial line.</summary>
    public override void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _line.Clear();
        }
    }

    private void Append(ReadOnlySpan<char> text)
    {
        lock (_lock)
        {
            if (_closed) return;
            _line.Append(text);
            if (text.Contains('\n')) PassOn();
        }
    }

    private void PassOn()
    {
        _inner.Write(_line.ToString());
        _inner.Flush();
        _line.Clear();
    }
}
