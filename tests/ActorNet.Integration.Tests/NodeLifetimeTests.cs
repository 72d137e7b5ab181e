using Xunit;

namespace ActorNet.Integration.Tests;

/// <summary>Nodes started by a supervisor with a pipe on their standard input (ExitOnStdinClose,
/// as every node of these tests is) stop by themselves, gracefully, when that pipe closes: what
/// happens to them when a test host is killed.</summary>
public sealed class NodeLifetimeTests
{
    [Fact]
    public async Task A_worker_and_a_coordinator_stop_when_the_pipe_on_their_standard_input_closes()
    {
        await using var cluster = await Cluster.StartAsync(workers: 1);
        await cluster.WaitForWorkersKnownAsync(1);

        foreach (var node in new[] { cluster.Workers[0], cluster.Coordinator })
        {
            node.CloseStandardInput();
            var (exitCode, errors) = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, $"{node.Name} exited with {exitCode}: {string.Join(" | ", errors)}\n{node.Describe()}");
            Assert.True(node.LogContains("Standard input closed: stopping"), node.Describe());
        }
    }
}
