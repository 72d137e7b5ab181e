using System.Numerics;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;
using Akka.Event;

namespace ActorNet.Actors;

/// <summary>The authoritative parameters of one layer: a shell over
/// <see cref="ParameterShard{T}"/>. When a step's parts are all in, it sends the new
/// parameters to every replica and tells the run.</summary>
public sealed class ParameterShardActor<T> : ReceiveActor where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <param name="immediate">asynchronous training: apply each worker's gradient as it comes</param>
    /// <param name="trace">send the run a copy of each step's averaged gradient (a traced run); else none</param>
    public static Props Props(Guid runId, ParameterShard<T> shard, IActorRef run, bool immediate = false, bool trace = false) =>
        Akka.Actor.Props.Create(() => new ParameterShardActor<T>(runId, shard, run, immediate, trace));

    private readonly Guid _runId;
    private readonly ParameterShard<T> _shard;
    private readonly IActorRef _run;
    private readonly bool _immediate;
    private readonly bool _trace;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IReadOnlyList<IActorRef> _replicas = [];

    public ParameterShardActor(Guid runId, ParameterShard<T> shard, IActorRef run, bool immediate, bool trace)
    {
        _immediate = immediate;
        _trace = trace;
        _runId = runId;
        _shard = shard;
        _run = run;
        Receive<UseReplicas>(m => _replicas = m.Replicas);
        Receive<LayerGradientsComputed<T>>(HandleGradients);
        Receive<CaptureShard>(HandleCapture);
    }

    private void HandleCapture(CaptureShard m)
    {
        if (m.RunId != _runId) return;
        var (version, parameters, first, second) = _shard.Capture();
        Sender.Tell(new ShardCaptured<T>(_runId, _shard.Layer, version, parameters, first, second));
    }

    private void HandleGradients(LayerGradientsComputed<T> m)
    {
        if (m.RunId != _runId) return;
        var dropped = _shard.DroppedParts;
        bool applied;
        if (_immediate)
        {
            _shard.ApplyNow(m.Rows, m.Gradients);
            applied = true;
        }
        else applied = _shard.Add(m.Step, m.Part, m.Parts, m.Rows, m.Gradients);
        if (_shard.DroppedParts != dropped)
            _log.Warning("Layer {Layer}: dropped gradient part {Part} of step {Step} (at version {Version}; {Dropped} dropped so far)",
                _shard.Layer, m.Part, m.Step, _shard.Version, _shard.DroppedParts);
        if (!applied) return;
        if (_shard.FindNonFinite() is { } bad)
        {
            _run.Tell(new ShardStepFailed(_runId, m.Step, _shard.Layer, $"layer {_shard.Layer}: {bad} after step {m.Step}"));
            return;
        }
        var update = new ParametersUpdated<T>(_runId, _shard.Version, _shard.Layer, _shard.Parameters);
        foreach (var r in _replicas) r.Tell(update);
        // The mean gradient is the shard's buffer, written again by the next update: a message gets a copy.
        _run.Tell(new ShardStepApplied<T>(_runId, m.Step, _shard.Layer, _shard.Parameters, _trace ? (T[])_shard.LastAverage!.Clone() : []));
    }
}
