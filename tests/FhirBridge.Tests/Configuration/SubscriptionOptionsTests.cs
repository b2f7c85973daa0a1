using FhirBridge.Cli.Configuration;

namespace FhirBridge.Tests.Configuration;

/// <summary><c>FhirBridge:PublicBaseUrl</c> and <c>FhirBridge:Sources:N:Subscriptions</c>: bad settings stop start-up, each named, secrets never printed.</summary>
public sealed class SubscriptionOptionsTests
{
    private const string Secret = "a-secret-of-20-chars";

    private static List<string> Failures(Action<FhirBridgeOptions> change)
    {
        var options = new FhirBridgeOptions
        {
            PublicBaseUrl = "https://bridge.hospital.example/",
            Sources = [new SourceOptions { Name = "hospital-a", Kind = SourceKind.Rest, BaseUrl = "https://fhir.hospital.example/r4/" }],
            Pseudonymization = new PseudonymizationOptions { Key = "test-key-0123456789abcdef" },
        };
        options.Sources[0].Subscriptions = new SubscriptionOptions { Enabled = true, Secret = Secret };
        change(options);
        return new FhirBridgeOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
    }

    [Fact]
    public void Validate_EnabledOnRestWithSecretAndPublicBaseUrl_Passes() => Assert.Empty(Failures(_ => { }));

    [Fact]
    public void Validate_EnabledWithoutPublicBaseUrl_NamesIt() =>
        Assert.Contains(Failures(o => o.PublicBaseUrl = null), f => f.StartsWith("FhirBridge:PublicBaseUrl is required", StringComparison.Ordinal));

    [Theory]
    [InlineData("bridge.example")]
    [InlineData("ftp://bridge.example/")]
    [InlineData("https://bridge.example/?x=1")]
    public void Validate_PublicBaseUrlNotAnAbsoluteHttpUrl_NamesIt(string url) =>
        Assert.Equal([$"FhirBridge:PublicBaseUrl must be an absolute http(s) URL without query or fragment (was '{url}')"], Failures(o => o.PublicBaseUrl = url));

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    public void Validate_SecretMissingOrShort_NamesTheSettingNotTheValue(string? secret)
    {
        var failure = Assert.Single(Failures(o => o.Sources[0].Subscriptions.Secret = secret));
        Assert.StartsWith("FhirBridge:Sources:0:Subscriptions:Secret is missing or shorter than 16 characters", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("too-short", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SecretFromFile_Passes()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Secret + "\n");
            Assert.Empty(Failures(o => o.Sources[0].Subscriptions = new SubscriptionOptions { Enabled = true, SecretFile = file }));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Validate_EnabledOnADirectorySource_IsRefusedNamingTheSetting() =>
        Assert.Equal(["FhirBridge:Sources:0:Subscriptions:Enabled is only for Rest sources (source 'hospital-a' is Directory)"],
            Failures(o => { o.Sources[0].Kind = SourceKind.Directory; o.Sources[0].Path = "/data"; }));
}
