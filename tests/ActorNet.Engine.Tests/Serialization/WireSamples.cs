using System.Collections;
using System.Reflection;
using ActorNet.Protocol;
using Akka.Actor;
using Xunit.Sdk;

namespace ActorNet.Tests.Serialization;

/// <summary>
/// Builds a sample of any ActorNet message from its constructor's parameter types, so that a new
/// message is covered by the round-trip and rejection tests as soon as it exists (a parameter type
/// this factory does not know fails loudly, naming it). Floating-point fields get the values that
/// a careless encoding breaks: NaNs with payloads, -0.0, subnormals, ±Infinity, extremes.
/// </summary>
internal sealed class WireSamples(IReadOnlyList<IActorRef> actors)
{
    /// <summary>Every concrete message type in the protocol assembly, generic ones closed over float and double.</summary>
    public static IReadOnlyList<Type> ProtocolTypes() =>
        typeof(IActorNetMessage).Assembly.GetTypes()
            .Where(t => typeof(IActorNetMessage).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .SelectMany(t => t.IsGenericTypeDefinition ? [t.MakeGenericType(typeof(float)), t.MakeGenericType(typeof(double))] : new[] { t })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();

    public static readonly float[] SpecialFloats =
    [
        BitConverter.Int32BitsToSingle(0x7FC0_0001), // quiet NaN with a payload
        BitConverter.Int32BitsToSingle(0x7F80_0001), // signalling NaN
        BitConverter.Int32BitsToSingle(unchecked((int)0xFFC1_2345)), // negative NaN, other payload
        -0.0f, 0.0f, float.Epsilon, BitConverter.Int32BitsToSingle(0x007F_FFFF), -float.Epsilon,
        float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, 1f, -1f, MathF.PI, 1e-30f,
    ];

    public static readonly double[] SpecialDoubles =
    [
        BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0001),
        BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001),
        BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_1234_5678_9ABC)),
        -0.0, 0.0, double.Epsilon, BitConverter.Int64BitsToDouble(0x000F_FFFF_FFFF_FFFF), -double.Epsilon,
        double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, double.MinValue, 1, -1, Math.PI, 1e-300,
    ];

    private static readonly int[] SpecialInts = [0, -1, 1, int.MinValue, int.MaxValue, 42];

    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>All fields set; nullable ones present.</summary>
    public object Full(Type type) => Create(type, full: true);

    /// <summary>Nullable fields null, arrays and lists empty.</summary>
    public object Sparse(Type type) => Create(type, full: false);

    private object Create(Type type, bool full)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters().Select((p, i) => Value(p, i, full)).ToArray();
        return constructor.Invoke(arguments);
    }

    private object? Value(ParameterInfo parameter, int index, bool full)
    {
        var type = parameter.ParameterType;
        if (!full && !type.IsValueType && Nullability.Create(parameter).WriteState == NullabilityState.Nullable) return null;
        return Value(type, index, full);
    }

    private object Value(Type type, int index, bool full)
    {
        if (type == typeof(Guid)) return new Guid([0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96, (byte)index]);
        if (type == typeof(long)) return full ? long.MinValue + 12_345 + index : 0x0123_4567_89AB_CDEFL;
        if (type == typeof(int)) return full ? -1_000_003 * (index + 1) : index;
        if (type == typeof(bool)) return full ^ (index % 2 == 0);
        if (type == typeof(double)) return SpecialDoubles[index % SpecialDoubles.Length];
        if (type == typeof(string)) return full ? $"non-finite value in layer {index}: ü ∞ 🙂 \0 end" : "";
        if (type.IsEnum) return Enum.GetValues(type).Cast<object>().Last();
        if (type == typeof(float[])) return full ? SpecialFloats.ToArray() : Array.Empty<float>();
        if (type == typeof(double[])) return full ? SpecialDoubles.ToArray() : Array.Empty<double>();
        if (type == typeof(int[])) return full ? SpecialInts.ToArray() : Array.Empty<int>();
        if (type == typeof(double[][])) return full ? new[] { SpecialDoubles.ToArray(), [], [1.5] } : Array.Empty<double[]>();
        if (type == typeof(float[][])) return full ? new[] { SpecialFloats.ToArray(), [], [1.5f] } : Array.Empty<float[]>();
        if (type == typeof(IReadOnlyList<IActorRef>)) return full ? actors.ToArray() : Array.Empty<IActorRef>();
        if (type == typeof(IActorRef)) return actors[index % actors.Count];
        if (type == typeof(IReadOnlyList<string>)) return full ? new[] { "T-shirt/top", "", "ü ∞ 🙂" } : Array.Empty<string>();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)
            && typeof(IActorNetMessage).IsAssignableFrom(type.GetGenericArguments()[0]))
            return ListOf(type.GetGenericArguments()[0], full ? 2 : 0);
        throw new InvalidOperationException(
            $"{nameof(WireSamples)} cannot make a {type}: teach it this parameter type so the new message is tested.");
    }

    private IList ListOf(Type item, int count)
    {
        var list = Array.CreateInstance(item, count);
        for (var i = 0; i < count; i++) list.SetValue(Full(item), i);
        return list;
    }
}

/// <summary>Field-by-field equality of two messages; arrays element by element, floats bit for bit.</summary>
internal static class WireAssert
{
    public static void Same(object expected, object actual) => Same(expected, actual, expected.GetType().Name);

    private static void Same(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            if (!ReferenceEquals(expected, actual)) Fail(path, expected, actual);
            return;
        }
        switch (expected)
        {
            case float e when BitConverter.SingleToInt32Bits(e) != BitConverter.SingleToInt32Bits((float)actual):
            case double d when BitConverter.DoubleToInt64Bits(d) != BitConverter.DoubleToInt64Bits((double)actual):
                Fail(path, Bits(expected), Bits(actual));
                return;
            case float or double:
                return;
            case IActorNetMessage:
                if (expected.GetType() != actual.GetType()) Fail(path, expected.GetType(), actual.GetType());
                // The wire fields are the record's positional parameters; other properties (such as
                // ParametersUpdated.OwnedByReceiver, set by the reader) are not written.
                var fields = expected.GetType().GetConstructors().MaxBy(c => c.GetParameters().Length)!.GetParameters()
                    .Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var p in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => fields.Contains(p.Name)))
                    Same(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}");
                return;
            case IList e:
                var a = (IList)actual;
                if (e.Count != a.Count) Fail($"{path}.Count", e.Count, a.Count);
                for (var i = 0; i < e.Count; i++) Same(e[i], a[i], $"{path}[{i}]");
                return;
            default:
                if (!expected.Equals(actual)) Fail(path, expected, actual);
                return;
        }
    }

    private static string Bits(object value) => value switch
    {
        float f => $"{f} (0x{BitConverter.SingleToInt32Bits(f):X8})",
        double d => $"{d} (0x{BitConverter.DoubleToInt64Bits(d):X16})",
        _ => $"{value}",
    };

    private static void Fail(string path, object? expected, object? actual) =>
        throw new XunitException($"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
}
