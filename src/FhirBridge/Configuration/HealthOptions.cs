namespace FhirBridge.Cli.Configuration;

/// <summary>
/// <c>FhirBridge:Health</c>: when <c>/health/ready</c> says the service is not ready. See docs/deploy.md.
/// </summary>
public sealed class HealthOptions
{
    /// <summary>A source whose last this many runs in a row failed makes the service not ready. Default 3; at least 1.</summary>
    public int MaxConsecutiveFailures { get; set; } = 3;

    /// <summary>
    /// How long the answer of a FHIR registry's <c>GET [base]/metadata</c> is reused, in seconds, so frequent probes do
    /// not hammer the registry. Default 30; 0-3600.
    /// </summary>
    public int RegistryCheckSeconds { get; set; } = 30;

    /// <summary>The problems of these settings, each naming its key; empty when they are fine.</summary>
    public static IEnumerable<string> Failures(HealthOptions health, string at)
    {
        ArgumentNullException.ThrowIfNull(health);
        if (health.MaxConsecutiveFailures < 1)
        {
            yield return $"{at}:MaxConsecutiveFailures must be at least 1 (was {health.MaxConsecutiveFailures})";
        }

        if (health.RegistryCheckSeconds is < 0 or > 3600)
        {
            yield return $"{at}:RegistryCheckSeconds must be 0-3600 (was {health.RegistryCheckSeconds})";
        }
    }
}
