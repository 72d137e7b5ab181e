using System.Numerics;
using ActorNet.Model;
using ActorNet.Protocol;
using ActorNet.Training;
using Akka.Actor;

namespace ActorNet.Actors;

/// <summary>A slice of a layer's neurons (rows of W): a shell over <see cref="NeuronGroup{T}"/>
/// that answers its layer actor.</summary>
public sealed class NeuronGroupActor<T> : ReceiveActor where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Props Props(LayerShape shape, int group, T[] parameters) =>
        Akka.Actor.Props.Create(() => new NeuronGroupActor<T>(shape, group, parameters));

    private readonly NeuronGroup<T> _group;
    private (long Step, int Attempt) _round = (-1, 0);

    public NeuronGroupActor(LayerShape shape, int group, T[] parameters)
    {
        _group = new NeuronGroup<T>(shape, group, parameters);
        Receive<ComputeGroupOutputs<T>>(HandleOutputs);
        Receive<ComputeGroupGradients<T>>(HandleGradients);
        Receive<UseParameters<T>>(m => _group.SetParameters(m.Parameters));
    }

    private void HandleOutputs(ComputeGroupOutputs<T> m)
    {
        if ((m.Step, m.Attempt) != _round)
        {
            _group.Reset(); // whatever an abandoned attempt left behind
            _round = (m.Step, m.Attempt);
        }
        Sender.Tell(new GroupOutputsComputed<T>(m.Step, m.Attempt, m.MicroBatch, _group.Group, _group.Forward(m.MicroBatch, m.Input, m.Rows)));
    }

    private void HandleGradients(ComputeGroupGradients<T> m)
    {
        var dx = _group.Backward(m.MicroBatch, m.Delta, m.Rows, m.WantInputDelta);
        var sum = m.LastOfStep ? _group.TakeGradients() : null;
        Sender.Tell(new GroupGradientsComputed<T>(m.Step, m.Attempt, m.MicroBatch, _group.Group, dx, sum));
    }
}
