using FhirBridge.Cli.Configuration;

namespace FhirBridge.Tests.Configuration;

/// <summary><c>FhirBridge:Cluster</c> and a source's <c>TimeoutSeconds</c>: a bad value stops start-up with a line naming it.</summary>
public sealed class ClusterOptionsTests
{
    private static List<string> Failures(Action<FhirBridgeOptions> change)
    {
        var options = new FhirBridgeOptions
        {
            Sources = [new SourceOptions { Name = "hospital-a", Kind = SourceKind.Rest, BaseUrl = "https://fhir.example.org/r4" }],
            Pseudonymization = new PseudonymizationOptions { Key = "test-key-0123456789abcdef" },
        };
        change(options);
        return new FhirBridgeOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
    }

    [Fact]
    public void Validate_Defaults_Pass() => Assert.Empty(Failures(_ => { }));

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(600, 3600)]
    public void Validate_ClusterTimesAtTheirBounds_Pass(double checkin, double failover) =>
        Assert.Empty(Failures(o => { o.Cluster.CheckinIntervalSeconds = checkin; o.Cluster.FailoverSeconds = failover; }));

    [Theory]
    [InlineData(0.4, 20, "FhirBridge:Cluster:CheckinIntervalSeconds must be between 0.5 and 600 (seconds)")]
    [InlineData(601, 20, "FhirBridge:Cluster:CheckinIntervalSeconds must be between 0.5 and 600 (seconds)")]
    [InlineData(7.5, 0.9, "FhirBridge:Cluster:FailoverSeconds must be between 1 and 3600 (seconds)")]
    [InlineData(7.5, 3601, "FhirBridge:Cluster:FailoverSeconds must be between 1 and 3600 (seconds)")]
    public void Validate_ClusterTimesOutOfRange_NameTheSetting(double checkin, double failover, string message) =>
        Assert.Equal([message], Failures(o => { o.Cluster.CheckinIntervalSeconds = checkin; o.Cluster.FailoverSeconds = failover; }));

    [Theory]
    [InlineData(0)]
    [InlineData(3601)]
    public void Validate_SourceTimeoutOutOfRange_NamesTheSetting(int seconds) =>
        Assert.Equal([$"FhirBridge:Sources:0:TimeoutSeconds must be 1-3600 (was {seconds})"], Failures(o => o.Sources[0].TimeoutSeconds = seconds));
}
