using ActorNet.Hosting;
using Xunit;

namespace ActorNet.Tests.Hosting;

public sealed class ClosableWriterTests
{
    [Fact]
    public void Passes_on_whole_lines_and_a_flushed_rest()
    {
        var inner = new StringWriter();
        var writer = new ClosableWriter(inner);

        writer.Write("[12:00:00 ERR] ");
        writer.Write('F');
        Assert.Equal("", inner.ToString());
        writer.WriteLine("ailed to bind");
        writer.Write("partial");
        writer.Flush();

        Assert.Equal($"[12:00:00 ERR] Failed to bind{Environment.NewLine}partial", inner.ToString());
    }

    [Fact]
    public void After_close_drops_a_partial_line_and_every_later_write()
    {
        var inner = new StringWriter();
        var writer = new ClosableWriter(inner);
        writer.WriteLine("before");
        writer.Write("half a li");

        writer.Close();
        writer.WriteLine("ne");
        writer.WriteLine("after");
        writer.Flush();

        Assert.Equal($"before{Environment.NewLine}", inner.ToString());
    }

    [Fact]
    public async Task Close_waits_for_a_line_being_written_so_that_nothing_comes_after_it()
    {
        var inner = new BlockingWriter();
        var writer = new ClosableWriter(inner);
        var writing = Task.Run(() => writer.WriteLine("a log line"));
        Assert.True(inner.Entered.Wait(TimeSpan.FromSeconds(10)), "the line never reached the inner writer");

        var closing = Task.Run(writer.Close);
        Assert.NotSame(closing, await Task.WhenAny(closing, Task.Delay(200)));
        inner.Release.Set();
        await Task.WhenAll(writing, closing);
        inner.Write("the node's last line");

        Assert.Equal($"a log line{Environment.NewLine}the node's last line", inner.Text.ToString());
    }

    /// <summary>An inner writer whose first write waits until the test lets it go.</summary>
    private sealed class BlockingWriter : TextWriter
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Release = new();
        public readonly System.Text.StringBuilder Text = new();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(string? value)
        {
            if (!Entered.IsSet)
            {
                Entered.Set();
                Release.Wait();
            }
            lock (Text) Text.Append(value);
        }
    }
}
