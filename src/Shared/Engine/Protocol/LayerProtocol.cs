using ActorNet.Training;

namespace ActorNet.Protocol;

// The conversation inside one model replica: activations forward through the chain of
// layer actors, error deltas backward, and each layer with its neuron-group actors.
// Arrays in these messages are lent, not copied: each is the sender's array for this
// micro-batch slot (SlotBuffers), which the receiver reads until the micro-batch has come back
// through it, and which the sender writes again only for the same micro-batch of the next step,
// after the whole backward pass of this one. They may be longer than the data: the leading
// rows × width elements are the message's. A gradient sum (GradientSum) is handed over: the
// receiver owns it (BufferPool). These messages never leave their replica's process.
// Shapes: rows = samples in the micro-batch; In/Out = the receiving layer's fan-in/out.
// (Step, Attempt) names one try at a step: when a worker is lost mid-step the step is tried
// again without it, and anything left over from the earlier attempt is dropped.

/// <summary>A micro-batch's activations for the next layer (or the input, for layer 0).
/// Targets and labels ride along to the last layer, which computes the loss.</summary>
/// <param name="Activations">(rows, In)</param>
/// <param name="Targets">(rows, outputs of the model)</param>
public sealed record ForwardBatch<T>(Guid RunId, long Step, int Attempt, int Part, int Parts, int MicroBatch, int MicroBatches, int Rows,
    T[] Activations, T[] Targets, int[]? Labels) : IActorNetMessage;

/// <summary>∂E/∂a of a layer's outputs for one micro-batch, from the layer after it.</summary>
/// <param name="OutputGradient">(rows, Out)</param>
public sealed record BackwardBatch<T>(Guid RunId, long Step, int Attempt, int MicroBatch, int Rows, T[] OutputGradient) : IActorNetMessage;

/// <summary>Layer → group: compute your slice of the pre-activations.</summary>
/// <param name="Input">(rows, In)</param>
public sealed record ComputeGroupOutputs<T>(long Step, int Attempt, int MicroBatch, int Rows, T[] Input) : IActorNetMessage;

/// <param name="Outputs">z_g: (rows, Count_g)</param>
public sealed record GroupOutputsComputed<T>(long Step, int Attempt, int MicroBatch, int Group, T[] Outputs) : IActorNetMessage;

/// <summary>Layer → group: δ of your neurons; add to your gradient sum, and return δ_g·W_g if
/// <paramref name="WantInputDelta"/>. On the step's last micro-batch, also return the sum.</summary>
/// <param name="Delta">δ_g: (rows, Count_g)</param>
public sealed record ComputeGroupGradients<T>(long Step, int Attempt, int MicroBatch, int Rows, T[] Delta, bool WantInputDelta, bool LastOfStep) : IActorNetMessage;

/// <param name="InputDelta">δ_g·W_g: (rows, In), or null when not wanted</param>
/// <param name="GradientSum">[W_g | b_g] summed over the step's micro-batches, on the last one; else null</param>
public sealed record GroupGradientsComputed<T>(long Step, int Attempt, int MicroBatch, int Group, T[]? InputDelta, T[]? GradientSum) : IActorNetMessage;

/// <summary>Layer → group: the layer's parameters from now on (the whole layer's buffer).</summary>
public sealed record UseParameters<T>(long Version, T[] Parameters) : IActorNetMessage;

/// <summary>Last layer → replica: the loss of one micro-batch, summed over its samples.</summary>
public sealed record MicroBatchLossComputed(Guid RunId, long Step, int Attempt, int MicroBatch, int Rows, double LossSum, int Correct) : IActorNetMessage;

/// <summary>First layer → replica: the step's backward pass is over (every layer has sent its
/// gradient), so the replica may take its next step.</summary>
public sealed record BackwardCompleted(Guid RunId, long Step, int Attempt) : IActorNetMessage;
