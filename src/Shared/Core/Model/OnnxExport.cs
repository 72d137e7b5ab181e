using System.Buffers.Binary;
using System.Text.Json;
using ActorNet.Numerics;
using Google.Protobuf;

namespace ActorNet.Model;

/// <summary>
/// A saved model as a standard ONNX graph (a serialized <c>onnx.ModelProto</c>, IR version 8,
/// default-domain opset 13) that ONNX Runtime and other ONNX tools load:
/// <code>
/// input  float [N, inputs]            (N: any batch size)
///   Sub(scaling.offsets) → Mul(scaling.multipliers)       only when the model has a scaling
///   per layer l: Gemm(W_l [out, in], b_l [out], transB = 1) → activation node
/// output float [N, outputs]
/// </code>
/// The multiplier of feature j is 1 / divisor_j, or 0 where the divisor is 0, so that a constant
/// feature maps to 0 as <see cref="Data.Scaler"/> maps it. Activations: identity (no node),
/// logistic → Sigmoid, tanh → Tanh, relu → Relu, leakyRelu → LeakyRelu(alpha 0.01), elu →
/// Elu(alpha 1), softplus → Softplus, softmax → Softmax(axis 1). Weights are stored as float32:
/// a float64 model is rounded on the way out. Class names, loss and scaling kind travel as
/// metadata properties (<see cref="ClassesKey"/>, <see cref="LossKey"/>, <see cref="ScalingKey"/>).
/// </summary>
/// <remarks>
/// The protobuf is written field by field with Google.Protobuf's <see cref="CodedOutputStream"/>;
/// every field number below is the one in onnx/onnx.proto (messages ModelProto,
/// OperatorSetIdProto, StringStringEntryProto, GraphProto, NodeProto, AttributeProto,
/// TensorProto, ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto,
/// TensorShapeProto.Dimension), which are stable across ONNX releases.
/// </remarks>
public static class OnnxExport
{
    public const long IrVersion = 8;
    public const long OpsetVersion = 13;
    public const string InputName = "input";
    public const string OutputName = "output";

    /// <summary>Metadata key of the class names, a JSON array of strings.</summary>
    public const string ClassesKey = "actornet.classes";
    /// <summary>Metadata key of the loss's run spec name.</summary>
    public const string LossKey = "actornet.loss";
    /// <summary>Metadata key of the scaling's run spec name.</summary>
    public const string ScalingKey = "actornet.scaling";

    // onnx.proto TensorProto.DataType.FLOAT and AttributeProto.AttributeType.FLOAT / INT.
    private const int FloatType = 1;
    private const int AttributeFloat = 1;
    private const int AttributeInt = 2;

    /// <summary>The serialized ModelProto. Throws <see cref="ArgumentException"/> when the model's
    /// layers do not fit together (<see cref="SavedModel.FindProblem"/>) and
    /// <see cref="NotSupportedException"/> for an activation without an ONNX operator.</summary>
    public static byte[] ToOnnx(SavedModel model)
    {
        if (model.FindProblem() is { } problem) throw new ArgumentException($"the model cannot be exported: {problem}", nameof(model));
        var layout = model.ToLayout();
        var graph = new Graph();
        var x = InputName;
        if (model.Scaling is { } scaling)
        {
            graph.Initializer("scaling.offsets", [layout.Inputs], scaling.Offsets.Select(o => (float)o).ToArray());
            graph.Initializer("scaling.multipliers", [layout.Inputs], scaling.Divisors.Select(d => d == 0 ? 0f : (float)(1 / d)).ToArray());
            graph.Node("Sub", "scaling.sub", [x, "scaling.offsets"], "scaling.centred");
            graph.Node("Mul", "scaling.mul", ["scaling.centred", "scaling.multipliers"], "scaling.scaled");
            x = "scaling.scaled";
        }
        for (var l = 0; l < layout.Layers.Count; l++)
        {
            var s = layout.Layers[l];
            var last = l == layout.Layers.Count - 1;
            var layer = model.Layers[l];
            graph.Initializer($"layer{l}.weights", [s.Outputs, s.Inputs], layer.Weights.SelectMany(row => row.Select(w => (float)w)).ToArray());
            graph.Initializer($"layer{l}.biases", [s.Outputs], layer.Biases.Select(b => (float)b).ToArray());
            var z = last && s.Activation == Activation.Identity ? OutputName : $"layer{l}.z";
            graph.Node("Gemm", $"layer{l}.gemm", [x, $"layer{l}.weights", $"layer{l}.biases"], z, Int("transB", 1));
            x = z;
            if (s.Activation == Activation.Identity) continue;
            var a = last ? OutputName : $"layer{l}.a";
            var (op, attributes) = Operator(s.Activation, l);
            graph.Node(op, $"layer{l}.{op.ToLowerInvariant()}", [x], a, attributes);
            x = a;
        }

        return Message(m =>
        {
            m.WriteTag(1, WireFormat.WireType.Varint);              // ModelProto.ir_version = 1
            m.WriteInt64(IrVersion);
            m.WriteTag(2, WireFormat.WireType.LengthDelimited);     // ModelProto.producer_name = 2
            m.WriteString("ActorNet");
            m.WriteTag(3, WireFormat.WireType.LengthDelimited);     // ModelProto.producer_version = 3
            m.WriteString(typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0");
            WriteMessage(m, 7, graph.ToBytes(layout.Inputs, layout.Outputs));   // ModelProto.graph = 7
            WriteMessage(m, 8, Message(o =>                          // ModelProto.opset_import = 8
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); // OperatorSetIdProto.domain = 1 ("": the default ai.onnx domain)
                o.WriteString("");
                o.WriteTag(2, WireFormat.WireType.Varint);          // OperatorSetIdProto.version = 2
                o.WriteInt64(OpsetVersion);
            }));
            if (model.Classes is { } classes) WriteMetadata(m, ClassesKey, JsonSerializer.Serialize(classes));
            if (model.Loss is { } loss) WriteMetadata(m, LossKey, loss);
            if (model.Scaling is { } sc) WriteMetadata(m, ScalingKey, sc.Kind);
        });
    }

    /// <summary>Writes <see cref="ToOnnx"/> to a file (see <see cref="ModelFile.Write"/>).</summary>
    public static void Save(SavedModel model, string path) => ModelFile.Write(path, ToOnnx(model));

    private static (string Op, byte[][] Attributes) Operator(Activation activation, int layer) => activation switch
    {
        Activation.Logistic => ("Sigmoid", []),
        Activation.Tanh => ("Tanh", []),
        Activation.Relu => ("Relu", []),
        Activation.LeakyRelu => ("LeakyRelu", [Float("alpha", (float)Activations.LeakyReluSlope)]),
        Activation.Elu => ("Elu", [Float("alpha", (float)Activations.EluAlpha)]),
        Activation.Softplus => ("Softplus", []),
        Activation.Softmax => ("Softmax", [Int("axis", 1)]),
        _ => throw new NotSupportedException($"layers[{layer}].activation: '{Activations.Name(activation)}' has no ONNX operator this export knows"),
    };

    /// <summary>The nodes and initializers of a GraphProto, in the order added (topological).</summary>
    private sealed class Graph
    {
        private readonly List<byte[]> _nodes = [];
        private readonly List<byte[]> _initializers = [];

        public void Node(string op, string name, string[] inputs, string output, params byte[][] attributes) =>
            _nodes.Add(Message(n =>
            {
                foreach (var input in inputs)
                {
                    n.WriteTag(1, WireFormat.WireType.LengthDelimited); // NodeProto.input = 1
                    n.WriteString(input);
                }
                n.WriteTag(2, WireFormat.WireType.LengthDelimited);     // NodeProto.output = 2
                n.WriteString(output);
                n.WriteTag(3, WireFormat.WireType.LengthDelimited);     // NodeProto.name = 3
                n.WriteString(name);
                n.WriteTag(4, WireFormat.WireType.LengthDelimited);     // NodeProto.op_type = 4
                n.WriteString(op);
                foreach (var attribute in attributes) WriteMessage(n, 5, attribute); // NodeProto.attribute = 5
            }));

        /// <summary>A float tensor, row-major, as little-endian raw_data.</summary>
        public void Initializer(string name, long[] dims, float[] values)
        {
            var raw = new byte[values.Length * sizeof(float)];
            for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
            _initializers.Add(Message(t =>
            {
                foreach (var d in dims)
                {
                    t.WriteTag(1, WireFormat.WireType.Varint);          // TensorProto.dims = 1
                    t.WriteInt64(d);
                }
                t.WriteTag(2, WireFormat.WireType.Varint);              // TensorProto.data_type = 2
                t.WriteInt32(FloatType);
                t.WriteTag(8, WireFormat.WireType.LengthDelimited);     // TensorProto.name = 8
                t.WriteString(name);
                t.WriteTag(9, WireFormat.WireType.LengthDelimited);     // TensorProto.raw_data = 9
                t.WriteBytes(UnsafeByteOperations.UnsafeWrap(raw));
            }));
        }

        public byte[] ToBytes(int inputs, int outputs) => Message(g =>
        {
            foreach (var node in _nodes) WriteMessage(g, 1, node);   // GraphProto.node = 1
            g.WriteTag(2, WireFormat.WireType.LengthDelimited);      // GraphProto.name = 2
            g.WriteString("actornet");
            foreach (var tensor in _initializers) WriteMessage(g, 5, tensor); // GraphProto.initializer = 5
            WriteMessage(g, 11, FloatMatrix(InputName, inputs));     // GraphProto.input = 11
            WriteMessage(g, 12, FloatMatrix(OutputName, outputs));   // GraphProto.output = 12
        });

        /// <summary>ValueInfoProto of a float tensor [N, columns], N symbolic (any batch size).</summary>
        private static byte[] FloatMatrix(string name, int columns) => Message(v =>
        {
            v.WriteTag(1, WireFormat.WireType.LengthDelimited);         // ValueInfoProto.name = 1
            v.WriteString(name);
            WriteMessage(v, 2, Message(type =>                           // ValueInfoProto.type = 2
                WriteMessage(type, 1, Message(tensor =>                  // TypeProto.tensor_type = 1
                {
                    tensor.WriteTag(1, WireFormat.WireType.Varint);      // TypeProto.Tensor.elem_type = 1
                    tensor.WriteInt32(FloatType);
                    WriteMessage(tensor, 2, Message(shape =>             // TypeProto.Tensor.shape = 2
                    {
                        WriteMessage(shape, 1, Message(dim =>            // TensorShapeProto.dim = 1
                        {
                            dim.WriteTag(2, WireFormat.WireType.LengthDelimited); // Dimension.dim_param = 2
                            dim.WriteString("N");
                        }));
                        WriteMessage(shape, 1, Message(dim =>
                        {
                            dim.WriteTag(1, WireFormat.WireType.Varint); // Dimension.dim_value = 1
                            dim.WriteInt64(columns);
                        }));
                    }));
                }))));
        });
    }

    /// <summary>AttributeProto of type INT.</summary>
    private static byte[] Int(string name, long value) => Message(a =>
    {
        a.WriteTag(1, WireFormat.WireType.LengthDelimited);             // AttributeProto.name = 1
        a.WriteString(name);
        a.WriteTag(3, WireFormat.WireType.Varint);                      // AttributeProto.i = 3
        a.WriteInt64(value);
        a.WriteTag(20, WireFormat.WireType.Varint);                     // AttributeProto.type = 20
        a.WriteEnum(AttributeInt);
    });

    /// <summary>AttributeProto of type FLOAT.</summary>
    private static byte[] Float(string name, float value) => Message(a =>
    {
        a.WriteTag(1, WireFormat.WireType.LengthDelimited);             // AttributeProto.name = 1
        a.WriteString(name);
        a.WriteTag(2, WireFormat.WireType.Fixed32);                     // AttributeProto.f = 2
        a.WriteFloat(value);
        a.WriteTag(20, WireFormat.WireType.Varint);                     // AttributeProto.type = 20
        a.WriteEnum(AttributeFloat);
    });

    /// <summary>StringStringEntryProto in ModelProto.metadata_props = 14.</summary>
    private static void WriteMetadata(CodedOutputStream m, string key, string value) => WriteMessage(m, 14, Message(e =>
    {
        e.WriteTag(1, WireFormat.WireType.LengthDelimited);             // StringStringEntryProto.key = 1
        e.WriteString(key);
        e.WriteTag(2, WireFormat.WireType.LengthDelimited);             // StringStringEntryProto.value = 2
        e.WriteString(value);
    }));

    /// <summary>An embedded message: its tag, its length, its bytes.</summary>
    private static void WriteMessage(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(message));
    }

    /// <summary>The bytes of one message, written by <paramref name="write"/>.</summary>
    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(output);
        }
        return buffer.ToArray();
    }
}
