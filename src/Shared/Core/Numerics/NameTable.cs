namespace ActorNet.Numerics;

/// <summary>
/// The spec names of an enum's values (in enum order) and the extra spellings a spec may
/// use. Parsing ignores case, '_' and '-'. One table serves activations, losses and
/// initializers alike.
/// </summary>
internal sealed class NameTable<TEnum> where TEnum : struct, Enum
{
    private readonly string[] _names;
    private readonly (string Name, TEnum Value)[] _aliases;
    private readonly string _what;

    /// <param name="names">the spec name of each value, in enum order</param>
    /// <param name="aliases">further accepted spellings, lower case without '_' or '-'</param>
    /// <param name="what">what a value is called in errors ("activation")</param>
    public NameTable(string[] names, (string Name, TEnum Value)[] aliases, string what)
    {
        _names = names;
        _what = what;
        // Every spec name is accepted too, normalised as the aliases are.
        _aliases = [.. names.Select((n, i) => (n.ToLowerInvariant(), (TEnum)(object)i)), .. aliases];
        Names = Array.AsReadOnly(names);
    }

    public IReadOnlyList<string> Names { get; }

    public bool TryParse(string? name, out TEnum value)
    {
        if (name is not null)
            foreach (var (alias, v) in _aliases)
                if (SpanChecks.NameEquals(name, alias))
                {
                    value = v;
                    return true;
                }
        value = default;
        return false;
    }

    public string Name(TEnum value)
    {
        var i = (int)(object)value;
        return (uint)i < (uint)_names.Length
            ? _names[i]
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a known {_what}");
    }
}
