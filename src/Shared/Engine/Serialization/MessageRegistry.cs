using System.Collections.Frozen;
using System.Numerics;
using ActorNet.Protocol;

namespace ActorNet.Serialization;

/// <summary>
/// The wire table: every ActorNet message type, the manifest the wire names it by, and its body
/// codec. This is the one place to change when a message is added: add a row (to
/// <see cref="Numeric{T}"/> if the message is generic over the element type, which gives it a
/// float and a double variant), writing the fields in constructor order and reading them back
/// in the same order (C# evaluates arguments left to right). The serializer is bound to
/// <see cref="IActorNetMessage"/>, so nothing else needs configuring; a message without a row is
/// refused with a message that names it, and a test fails until it has one.
/// <para>
/// Manifests are part of the wire format, shared with nodes running other versions and with
/// data persisted before the stored formats: never rename or reuse one. A changed body layout needs a new manifest (or a
/// new format version, see <see cref="ActorNetSerializer.FormatVersion"/>). Reading looks the
/// manifest up in this closed table only: nothing on the wire ever names a .NET type.
/// </para>
/// </summary>
internal static class MessageRegistry
{
    private static readonly MessageCodec[] All = [.. Plain(), .. Numeric<float>("f32"), .. Numeric<double>("f64")];

    private static readonly FrozenDictionary<string, MessageCodec> ByManifest = Index(All, c => c.Manifest, "manifest");

    private static readonly FrozenDictionary<Type, MessageCodec> ByType = Index(All, c => c.Type, "type");

    /// <summary>Every registered codec, in table order.</summary>
    public static IReadOnlyList<MessageCodec> Codecs => All;

    public static bool TryGet(string manifest, out MessageCodec codec) => ByManifest.TryGetValue(manifest, out codec!);

    public static bool TryGet(Type type, out MessageCodec codec) => ByType.TryGetValue(type, out codec!);

    /// <summary>Messages whose fields do not depend on the element type.</summary>
    private static MessageCodec[] Plain() =>
    [
        // TrainingProtocol
        MessageCodec.Of<ComputeGradients>("grad.compute",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.Part); w.Int32(m.Parts); w.Array(m.Indices); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Array<int>())),
        MessageCodec.Of<PartLossComputed>("part.loss",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.Part); w.Int32(m.Rows); w.Double(m.LossSum); w.Int32(m.Correct); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Double(), r.Int32())),
        MessageCodec.Of<ShardStepFailed>("shard.failed",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Layer); w.String(m.Reason); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.String())),
        MessageCodec.Of<UseReplicas>("shard.replicas",
            (ref w, m) => { w.Guid(m.RunId); w.List(m.Replicas, (ref w, a) => w.ActorRef(a)); },
            // An actor path costs at least its 4-byte length prefix.
            (ref r) => new(r.Guid(), r.List((ref r) => r.ActorRef(), sizeof(int)))),

        // LayerProtocol
        MessageCodec.Of<MicroBatchLossComputed>("mb.loss",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.MicroBatch); w.Int32(m.Rows); w.Double(m.LossSum); w.Int32(m.Correct); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Double(), r.Int32())),

        MessageCodec.Of<BackwardCompleted>("bwd.completed",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32())),

        // RunProtocol
        MessageCodec.Of<StepCompleted>("run.step",
            (ref w, m) =>
            {
                w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Epoch); w.Int32(m.StepInEpoch); w.Int32(m.StepsPerEpoch);
                w.Int32(m.Rows); w.Double(m.Loss); w.Int32(m.Correct); w.Int32(m.Replicas);
            },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.Double(), r.Int32(), r.Int32())),
        MessageCodec.Of<StepTraced>("run.trace",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Jagged(m.AverageGradients); w.Jagged(m.Parameters); },
            (ref r) => new(r.Guid(), r.Int64(), r.Jagged<double>(), r.Jagged<double>())),
        MessageCodec.Of<EpochCompleted>("run.epoch", WriteEpoch, ReadEpoch),
        MessageCodec.Of<RunCompleted>("run.done",
            (ref w, m) => { w.Guid(m.RunId); w.Enum(m.Outcome); w.Int64(m.Steps); w.List(m.Epochs, WriteEpoch); w.Jagged(m.Parameters); },
            (ref r) => new(r.Guid(), r.Enum<RunOutcome>(), r.Int64(), r.List(ReadEpoch, EpochSize), r.Jagged<double>())),
        MessageCodec.Of<RunFailed>("run.failed",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.String(m.Reason); },
            (ref r) => new(r.Guid(), r.Int64(), r.String())),
        MessageCodec.Of<StopRun>("run.stop",
            (ref w, m) => w.Guid(m.RunId),
            (ref r) => new(r.Guid())),
        MessageCodec.Of<CheckpointSaved>("run.checkpoint-saved",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Double(m.PauseMilliseconds); w.Double(m.SaveMilliseconds); },
            (ref r) => new(r.Guid(), r.Int64(), r.Double(), r.Double())),
        MessageCodec.Of<RunResumed>("run.resumed",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Double(m.RecoveryMilliseconds); },
            (ref r) => new(r.Guid(), r.Int64(), r.Double())),
        MessageCodec.Of<WorkerLeftOut>("run.left-out",
            (ref w, m) => { w.Guid(m.RunId); w.String(m.Worker); w.String(m.Reason); },
            (ref r) => new(r.Guid(), r.String(), r.String())),

        // CheckpointProtocol. Stored records (and EpochCompleted) are written by the stored formats'
        // serializer now, but databases written before it hold them in these layouts, which it reads
        // as their version 1: these rows (and WriteEpoch, WriteRecord) are frozen, never change them.
        MessageCodec.Of<RunStarted>("run.started",
            (ref w, m) =>
            {
                w.Guid(m.RunId); w.String(m.SpecJson); w.NullableString(m.BaseDirectory); w.Int32(m.MinWorkers); w.Int32(m.Inputs);
                w.List(m.ClassNames, (ref w, s) => w.String(s)); w.Array(m.ScaleOffsets); w.Array(m.ScaleDivisors); w.Int64(m.AtUnixMs);
            },
            (ref r) => new(r.Guid(), r.String(), r.NullableString(), r.Int32(), r.Int32(),
                r.List((ref r) => r.String(), sizeof(int)), r.Array<double>(), r.Array<double>(), r.Int64())),
        MessageCodec.Of<WorkerJoined>("run.worker-joined",
            (ref w, m) => { w.Guid(m.RunId); w.String(m.Worker); w.Int64(m.Step); w.Int64(m.AtUnixMs); },
            (ref r) => new(r.Guid(), r.String(), r.Int64(), r.Int64())),
        MessageCodec.Of<WorkerLeft>("run.worker-left",
            (ref w, m) => { w.Guid(m.RunId); w.String(m.Worker); w.Int64(m.Step); w.String(m.Reason); w.Int64(m.AtUnixMs); },
            (ref r) => new(r.Guid(), r.String(), r.Int64(), r.String(), r.Int64())),
        MessageCodec.Of<CheckpointTaken>("run.checkpoint",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Epoch); w.Int64(m.AtUnixMs); w.Double(m.TrainLoss); w.Double(m.TestLoss); w.Double(m.TestAccuracy); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int64(), r.Double(), r.Double(), r.Double())),
        MessageCodec.Of<RunEnded>("run.ended",
            (ref w, m) => { w.Guid(m.RunId); w.Enum(m.Outcome); w.Int64(m.Step); w.String(m.Reason); w.Int64(m.AtUnixMs); },
            (ref r) => new(r.Guid(), r.Enum<RunEnd>(), r.Int64(), r.String(), r.Int64())),
        MessageCodec.Of<CheckpointRecord>("run.checkpoint-record", WriteRecord, ReadRecord),
        MessageCodec.Of<RunAdmitted>("runs.admitted",
            (ref w, m) => { w.Guid(m.RunId); w.String(m.SpecJson); w.Int32(m.MinWorkers); w.Int64(m.AtUnixMs); },
            (ref r) => new(r.Guid(), r.String(), r.Int32(), r.Int64())),
        MessageCodec.Of<RunClosed>("runs.closed",
            (ref w, m) => { w.Guid(m.RunId); w.Enum(m.Outcome); w.String(m.Reason); },
            (ref r) => new(r.Guid(), r.Enum<RunEnd>(), r.String())),
        MessageCodec.Of<RunSummarized>("runs.summarized",
            (ref w, m) =>
            {
                w.Guid(m.RunId); w.Int32(m.Epoch); w.Int32(m.Epochs); w.Int64(m.Step); w.Int64(m.StepsPerEpoch);
                w.Double(m.TrainLoss); w.Double(m.TestLoss); w.Double(m.TestAccuracy); w.Double(m.SamplesPerSecond); w.Int32(m.Workers);
            },
            (ref r) => new(r.Guid(), r.Int32(), r.Int32(), r.Int64(), r.Int64(), r.Double(), r.Double(), r.Double(), r.Double(), r.Int32())),
        MessageCodec.Of<CaptureShard>("shard.capture",
            (ref w, m) => w.Guid(m.RunId),
            (ref r) => new(r.Guid())),

        // WorkerProtocol
        MessageCodec.Of<ReplicaStarted>("replica.started",
            (ref w, m) => { w.Guid(m.RunId); w.ActorRef(m.Replica); w.String(m.Worker); },
            (ref r) => new(r.Guid(), r.ActorRef(), r.String())),
        MessageCodec.Of<ReplicaRefused>("replica.refused",
            (ref w, m) => { w.Guid(m.RunId); w.String(m.Worker); w.String(m.Reason); },
            (ref r) => new(r.Guid(), r.String(), r.String())),
        MessageCodec.Of<AddWorker>("worker.add",
            (ref w, m) => w.ActorRef(m.Worker),
            (ref r) => new(r.ActorRef())),
    ];

    /// <summary>Messages generic over the element type; registered once per element type, as "name.f32" / "name.f64".</summary>
    private static MessageCodec[] Numeric<T>(string element) where T : unmanaged, INumberBase<T> =>
    [
        // LayerProtocol
        MessageCodec.Of<ForwardBatch<T>>($"fwd.{element}",
            (ref w, m) =>
            {
                w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.Part); w.Int32(m.Parts); w.Int32(m.MicroBatch); w.Int32(m.MicroBatches);
                w.Int32(m.Rows); w.Array(m.Activations); w.Array(m.Targets); w.NullableArray(m.Labels);
            },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.Int32(),
                r.Int32(), r.Array<T>(), r.Array<T>(), r.NullableArray<int>())),
        MessageCodec.Of<BackwardBatch<T>>($"bwd.{element}",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.MicroBatch); w.Int32(m.Rows); w.Array(m.OutputGradient); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Array<T>())),
        MessageCodec.Of<ComputeGroupOutputs<T>>($"grp.fwd.{element}",
            (ref w, m) => { w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.MicroBatch); w.Int32(m.Rows); w.Array(m.Input); },
            (ref r) => new(r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Array<T>())),
        MessageCodec.Of<GroupOutputsComputed<T>>($"grp.fwd.done.{element}",
            (ref w, m) => { w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.MicroBatch); w.Int32(m.Group); w.Array(m.Outputs); },
            (ref r) => new(r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Array<T>())),
        MessageCodec.Of<ComputeGroupGradients<T>>($"grp.bwd.{element}",
            (ref w, m) => { w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.MicroBatch); w.Int32(m.Rows); w.Array(m.Delta); w.Bool(m.WantInputDelta); w.Bool(m.LastOfStep); },
            (ref r) => new(r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Array<T>(), r.Bool(), r.Bool())),
        MessageCodec.Of<GroupGradientsComputed<T>>($"grp.bwd.done.{element}",
            (ref w, m) => { w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.MicroBatch); w.Int32(m.Group); w.NullableArray(m.InputDelta); w.NullableArray(m.GradientSum); },
            (ref r) => new(r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.NullableArray<T>(), r.NullableArray<T>())),
        MessageCodec.Of<UseParameters<T>>($"grp.params.{element}",
            (ref w, m) => { w.Int64(m.Version); w.Array(m.Parameters); },
            (ref r) => new(r.Int64(), r.Array<T>())),

        // TrainingProtocol
        MessageCodec.Of<LayerGradientsComputed<T>>($"grad.{element}",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Attempt); w.Int32(m.Layer); w.Int32(m.Part); w.Int32(m.Parts); w.Int32(m.Rows); w.Array(m.Gradients); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.PooledArray<T>())),
        MessageCodec.Of<ParametersUpdated<T>>($"params.{element}",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Version); w.Int32(m.Layer); w.Array(m.Parameters); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.PooledArray<T>()) { OwnedByReceiver = true }),
        MessageCodec.Of<StartReplica<T>>($"replica.start.{element}",
            (ref w, m) =>
            {
                w.Guid(m.RunId); w.String(m.SpecJson); w.NullableString(m.BaseDirectory); w.Int32(m.TrainRows); w.String(m.DataSha256);
                w.Int64(m.Version); w.Jagged(m.Parameters); w.List(m.Shards, (ref w, a) => w.ActorRef(a));
            },
            (ref r) => new(r.Guid(), r.String(), r.NullableString(), r.Int32(), r.String(),
                r.Int64(), r.Jagged<T>(), r.List((ref r) => r.ActorRef(), sizeof(int)))),
        MessageCodec.Of<ShardCaptured<T>>($"shard.captured.{element}",
            (ref w, m) => { w.Guid(m.RunId); w.Int32(m.Layer); w.Int64(m.Version); w.Array(m.Parameters); w.Array(m.FirstMoment); w.Array(m.SecondMoment); },
            (ref r) => new(r.Guid(), r.Int32(), r.Int64(), r.Array<T>(), r.Array<T>(), r.Array<T>())),
        // Stored format version 1 of a checkpoint (see CheckpointProtocol above): frozen.
        MessageCodec.Of<Checkpoint<T>>($"checkpoint.{element}",
            (ref w, m) =>
            {
                w.Guid(m.RunId); w.Int64(m.Step); w.Int64(m.Seed); w.Int32(m.EpochRows); w.Double(m.EpochLossSum); w.Int64(m.EpochCorrect);
                w.List(m.Epochs, WriteEpoch); w.List(m.Checkpoints, WriteRecord);
                w.Jagged(m.Parameters); w.Jagged(m.FirstMoments); w.Jagged(m.SecondMoments);
            },
            (ref r) => new(r.Guid(), r.Int64(), r.Int64(), r.Int32(), r.Double(), r.Int64(),
                r.List(ReadEpoch, EpochSize), r.List(ReadRecord, RecordSize),
                r.Jagged<T>(), r.Jagged<T>(), r.Jagged<T>())),
        MessageCodec.Of<ShardStepApplied<T>>($"shard.applied.{element}",
            (ref w, m) => { w.Guid(m.RunId); w.Int64(m.Step); w.Int32(m.Layer); w.Array(m.Parameters); w.Array(m.AverageGradient); },
            (ref r) => new(r.Guid(), r.Int64(), r.Int32(), r.Array<T>(), r.Array<T>())),
    ];

    // EpochCompleted travels alone and inside RunCompleted, so its body codec is named.
    // Its size is fixed: Guid, int, five doubles.
    private const int EpochSize = 16 + sizeof(int) + 5 * sizeof(double);

    private static void WriteEpoch(ref WireWriter w, EpochCompleted m)
    {
        w.Guid(m.RunId); w.Int32(m.Epoch); w.Double(m.TrainLoss); w.Double(m.TrainAccuracy);
        w.Double(m.TestLoss); w.Double(m.TestAccuracy); w.Double(m.SamplesPerSecond);
    }

    private static EpochCompleted ReadEpoch(ref WireReader r) =>
        new(r.Guid(), r.Int32(), r.Double(), r.Double(), r.Double(), r.Double(), r.Double());

    private const int RecordSize = 2 * sizeof(long) + sizeof(double);

    private static void WriteRecord(ref WireWriter w, CheckpointRecord m)
    {
        w.Int64(m.SequenceNr); w.Int64(m.Step); w.Double(m.TestAccuracy);
    }

    private static CheckpointRecord ReadRecord(ref WireReader r) => new(r.Int64(), r.Int64(), r.Double());

    /// <summary>A duplicate manifest or type is a mistake in the table above: fail at startup, by name.</summary>
    private static FrozenDictionary<TKey, MessageCodec> Index<TKey>(MessageCodec[] codecs, Func<MessageCodec, TKey> key, string what)
        where TKey : notnull
    {
        var duplicate = codecs.GroupBy(key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"{nameof(MessageRegistry)}: {what} '{duplicate.Key}' is registered more than once.");
        return codecs.ToFrozenDictionary(key);
    }
}
