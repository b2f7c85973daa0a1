using Microsoft.Extensions.Configuration;

namespace FhirBridge.Cli.Configuration;

/// <summary>
/// <c>FhirBridge:Telemetry</c>: where the service exports its OpenTelemetry metrics and traces (OTLP). Read when the
/// host is built, since the exporter is wired then. See docs/deploy.md.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FhirBridge:Telemetry";

    /// <summary>
    /// The OTLP collector's base URL (e.g. <c>http://127.0.0.1:4318</c> for http/protobuf, <c>:4317</c> for grpc);
    /// the signal paths <c>/v1/metrics</c> and <c>/v1/traces</c> are added for http/protobuf. Export is off when this
    /// is empty and the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is not set either.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>; default the standard <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, else grpc.</summary>
    public string? Protocol { get; set; }

    /// <summary>The settings bound from <paramref name="configuration"/>.</summary>
    public static TelemetryOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <summary>The problems of these settings, each naming its key; empty when they are fine.</summary>
    public IEnumerable<string> Failures()
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint)
            && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            yield return $"{Section}:OtlpEndpoint must be an http(s) URL (was '{OtlpEndpoint}')";
        }

        if (!string.IsNullOrWhiteSpace(Protocol) && Protocol is not ("grpc" or "http/protobuf"))
        {
            yield return $"{Section}:Protocol must be grpc or http/protobuf (was '{Protocol}')";
        }
    }
}
