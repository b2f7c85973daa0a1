using FhirBridge.Cli.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FhirBridge.Cli.Telemetry;

/// <summary>Wires OTLP export of FhirBridge's metrics and traces into the service host.</summary>
public static class TelemetryHosting
{
    /// <summary>The standard variable that also turns export on (the OTLP exporter reads it itself).</summary>
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Exports FhirBridge's meter and spans, with ASP.NET Core, HttpClient and runtime instrumentation, over OTLP when
    /// <see cref="TelemetryOptions.OtlpEndpoint"/> or <see cref="EndpointVariable"/> is set; adds nothing otherwise.
    /// The export interval and the rest follow the standard <c>OTEL_*</c> variables.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static void AddFhirBridgeTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var options = TelemetryOptions.From(configuration);
        if (options.Failures().FirstOrDefault() is { } problem)
        {
            throw new ArgumentException(problem);
        }

        var fromVariable = configuration[EndpointVariable];
        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint) && string.IsNullOrWhiteSpace(fromVariable))
        {
            return;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("fhirbridge"))
            .WithMetrics(m => m.AddMeter(FhirBridgeTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation())
            .WithTracing(t => t
                .AddSource(FhirBridgeTelemetry.Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    // Probes every few seconds would drown the pipeline's spans.
                    o.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal);

                    // A notification's path can end in a hospital resource id: keep the route template, drop the path.
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.path", null).SetTag("url.query", null);
                })
                .AddHttpClientInstrumentation(o =>
                    // A FHIR read or search URL can carry resource ids: spans keep only the server's origin.
                    o.EnrichWithHttpRequestMessage = (activity, request) => activity.SetTag("url.full", Origin(request.RequestUri))));

        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            telemetry.UseOtlpExporter();
            return;
        }

        var protocol = options.Protocol ?? configuration["OTEL_EXPORTER_OTLP_PROTOCOL"];
        telemetry.UseOtlpExporter(protocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, new Uri(options.OtlpEndpoint));
    }

    private static string? Origin(Uri? url) => url?.GetLeftPart(UriPartial.Authority);
}
