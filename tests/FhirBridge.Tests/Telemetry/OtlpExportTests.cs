using System.Collections.Concurrent;
using System.Text;
using FhirBridge.Tests.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Tests.Telemetry;

/// <summary>
/// The real service exports over OTLP/HTTP: a tiny collector (Kestrel on 127.0.0.1 taking <c>POST /v1/metrics</c> and
/// <c>/v1/traces</c>) receives FhirBridge's metrics and spans, and nothing of the patients.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-otlp-").FullName;
    private readonly ConcurrentQueue<(string Signal, byte[] Body)> _received = new();
    private WebApplication _collector = null!;
    private Uri _collectorUrl = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _collector = builder.Build();
        _collector.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            _received.Enqueue((signal, body.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        });
        await _collector.StartAsync();
        _collectorUrl = new Uri(_collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private bool Received(string signal, string text) =>
        _received.Any(r => r.Signal == signal && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));

    [Theory]
    [InlineData("setting")]
    [InlineData("environment")]
    public async Task Service_WithAnOtlpEndpoint_ExportsFhirBridgeMetricsAndSpans_NoPatientData(string configuredBy)
    {
        var fixture = Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a").Replace("\\", "/", StringComparison.Ordinal);
        var telemetry = configuredBy == "setting" ? $$""", "Telemetry": { "OtlpEndpoint": "{{_collectorUrl}}", "Protocol": "http/protobuf" }""" : "";
        var config = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(config, $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital-a", "Kind": "Directory", "Path": "{{fixture}}" } ],
                "Registry": { "Kind": "Directory", "Path": "registry" },
                "Storage": { "ConnectionString": "state/state.db" }{{telemetry}} } }
            """);
        var environment = new Dictionary<string, string>
        {
            ["FhirBridge__Pseudonymization__Key"] = "otlp-key-0123456789abcdef",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        if (configuredBy == "environment")
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = _collectorUrl.ToString();
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        }

        await using var service = await ServiceProcess.StartAsync(config, environment);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string[] metrics = ["fhirbridge.resources.pulled", "fhirbridge.decisions", "fhirbridge.outbox.depth"];
        string[] spans = ["fhirbridge.pull", "fhirbridge.recompute", "fhirbridge.push"];
        while (DateTime.UtcNow < deadline && !(metrics.All(m => Received("metrics", m)) && spans.All(s => Received("traces", s))))
        {
            await Task.Delay(200);
        }

        Assert.All(metrics, m => Assert.True(Received("metrics", m), m + " not exported\n" + service.Log));
        Assert.All(spans, span => Assert.True(Received("traces", span), span + " not exported\n" + service.Log));

        // The fixture's first patient: its MRN, family name and street.
        foreach (var marker in new[] { "MRN-4471", "Zhangphi", "Haidian" })
        {
            Assert.DoesNotContain(_received, r => Encoding.UTF8.GetString(r.Body).Contains(marker, StringComparison.Ordinal));
        }
    }
}
