using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace ActorNet.Hosting;

/// <summary>Says where a configuration value came from, for error messages: the command line,
/// an environment variable (by name) or a settings file (by name).</summary>
public static partial class SettingSource
{
    /// <summary>"the command line (--port)", "environment variable ACTORNET__PORT", "appsettings.json";
    /// null when <paramref name="configuration"/> cannot tell (it is not a configuration root).</summary>
    /// <param name="key">the full key, e.g. ActorNet:Port</param>
    public static string? Describe(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root) return null;
        // Later providers win, as in IConfiguration's own lookup.
        foreach (var provider in root.Providers.Reverse())
            if (provider.TryGet(key, out _)) return Describe(provider, key);
        return null;
    }

    private static string Describe(IConfigurationProvider provider, string key)
    {
        // The providers' types live in packages this library does not reference; their
        // ToString() names the file ("JsonConfigurationProvider for 'appsettings.json' (Optional)")
        // or the variable prefix ("EnvironmentVariablesConfigurationProvider Prefix: 'DOTNET_'").
        var text = provider.ToString() ?? "";
        switch (provider.GetType().Name)
        {
            case "CommandLineConfigurationProvider":
                var switches = NodeSettings.Switches.Where(s => string.Equals(s.Value, key, StringComparison.OrdinalIgnoreCase)).Select(s => s.Key).ToArray();
                return switches.Length > 0 ? $"the command line ({string.Join(", ", switches)})" : $"the command line (--{key})";
            case "EnvironmentVariablesConfigurationProvider":
                var prefix = PrefixPattern().Match(text) is { Success: true } p ? p.Groups[1].Value : "";
                return $"environment variable {prefix}{key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant()}";
        }
        return FilePattern().Match(text) is { Success: true } f ? Path.GetFileName(f.Groups[1].Value) : provider.GetType().Name;
    }

    [GeneratedRegex(@"Prefix: '([^']*)'")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex(@" for '([^']*)'")]
    private static partial Regex FilePattern();
}
