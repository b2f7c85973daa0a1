using FhirBridge.Cli.Configuration;
using FhirBridge.Tests.Cli;

namespace FhirBridge.Tests.Configuration;

/// <summary><c>FhirBridge:Health</c> and <c>FhirBridge:Telemetry</c>: a bad value stops start-up with a line naming it.</summary>
public sealed class OperationsOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-ops-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<string> HealthFailures(Action<HealthOptions> health)
    {
        var options = new FhirBridgeOptions
        {
            Sources = [new SourceOptions { Name = "hospital-a", Path = "/data/hospital-a" }],
            Pseudonymization = new PseudonymizationOptions { Key = "test-key-0123456789abcdef" },
        };
        health(options.Health);
        return new FhirBridgeOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
    }

    [Fact]
    public void Validate_HealthDefaults_Pass() => Assert.Empty(HealthFailures(_ => { }));

    [Fact]
    public void Validate_HealthOutOfRange_NamesEachSetting() =>
        Assert.Equal(
            ["FhirBridge:Health:MaxConsecutiveFailures must be at least 1 (was 0)", "FhirBridge:Health:RegistryCheckSeconds must be 0-3600 (was -1)"],
            HealthFailures(h => { h.MaxConsecutiveFailures = 0; h.RegistryCheckSeconds = -1; }));

    [Theory]
    [InlineData("--FhirBridge:Telemetry:Protocol=udp", "FhirBridge:Telemetry:Protocol must be grpc or http/protobuf (was 'udp')")]
    [InlineData("--FhirBridge:Telemetry:OtlpEndpoint=collector:4317", "FhirBridge:Telemetry:OtlpEndpoint must be an http(s) URL (was 'collector:4317')")]
    public void Run_BadTelemetrySetting_Exit2NamingIt(string setting, string message)
    {
        var config = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(config, """
            { "FhirBridge": { "Sources": [ { "Name": "a", "Kind": "Directory", "Path": "in" } ], "Storage": { "ConnectionString": "state.db" } } }
            """);

        var run = Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = "test-key-0123456789abcdef" }, "run", "--config", config, "--Urls=http://127.0.0.1:0", setting);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"fhirbridge: error: {message}", run.Stderr.Trim());
    }
}
