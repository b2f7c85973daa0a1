using Microsoft.Extensions.Configuration;

namespace FhirBridge.Cli.Configuration;

/// <summary>
/// Builds the configuration layers: the base settings file (the shipped <c>appsettings.json</c> beside the
/// executable, or the one named by <c>--config</c> / <c>FHIRBRIDGE_CONFIG</c>), then environment variables
/// (<c>FhirBridge__Study__WindowDays</c>), then command-line overrides (<c>--FhirBridge:Study:WindowDays=30</c>).
/// </summary>
public static class FhirBridgeConfiguration
{
    /// <summary>The environment variable naming the base settings file.</summary>
    public const string ConfigVariable = "FHIRBRIDGE_CONFIG";

    /// <summary>The base settings file in use.</summary>
    public static string BaseFile(string? configOption)
    {
        var chosen = configOption;
        if (string.IsNullOrEmpty(chosen))
        {
            chosen = Environment.GetEnvironmentVariable(ConfigVariable);
        }

        return Path.GetFullPath(string.IsNullOrEmpty(chosen) ? Path.Combine(AppContext.BaseDirectory, "appsettings.json") : chosen);
    }

    /// <summary>Builds the layered configuration.</summary>
    /// <exception cref="FileNotFoundException">The base settings file does not exist.</exception>
    public static IConfigurationRoot Build(string baseFile, IReadOnlyList<string> overrides)
    {
        if (!File.Exists(baseFile))
        {
            throw new FileNotFoundException($"settings file not found: {baseFile} (--config or {ConfigVariable})", baseFile);
        }

        return new ConfigurationBuilder()
            .AddJsonFile(baseFile, optional: false, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine([.. overrides])
            .Build();
    }
}
