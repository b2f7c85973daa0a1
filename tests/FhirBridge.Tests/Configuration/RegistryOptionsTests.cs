using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Push;
using FhirBridge.Cli.Service;
using FhirBridge.Fhir.Push;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Tests.Configuration;

/// <summary><c>FhirBridge:Registry</c>: a Fhir registry's settings are checked at start-up, each bad one named; the kind picks the sink.</summary>
public sealed class RegistryOptionsTests
{
    private static FhirBridgeOptions Valid(Action<RegistryOptions> registry)
    {
        var options = new FhirBridgeOptions
        {
            Sources = [new SourceOptions { Name = "hospital-a", Path = "/data/hospital-a" }],
            Pseudonymization = new PseudonymizationOptions { Key = "test-key-0123456789abcdef" },
        };
        options.Registry.Kind = RegistryKind.Fhir;
        registry(options.Registry);
        return options;
    }

    private static List<string> Failures(Action<RegistryOptions> registry) =>
        new FhirBridgeOptionsValidator().Validate(null, Valid(registry)).Failures?.ToList() ?? [];

    [Theory]
    [InlineData("https://registry.example.org/fhir")]
    [InlineData("http://127.0.0.1:8080/fhir/")]
    public void Validate_FhirRegistryWithAUsableBaseUrl_Passes(string url) =>
        Assert.Empty(Failures(r => r.BaseUrl = url));

    [Fact]
    public void Validate_FhirRegistryWithoutBaseUrl_NamesTheSetting() =>
        Assert.Equal(["FhirBridge:Registry:BaseUrl must be an http(s) URL for a Fhir registry (was '')"], Failures(r => r.BaseUrl = null));

    [Fact]
    public void Validate_PlainHttpToAnotherHost_IsRefusedUnlessAllowed()
    {
        var refused = Assert.Single(Failures(r => r.BaseUrl = "http://registry.example.org/fhir"));

        Assert.StartsWith("FhirBridge:Registry:BaseUrl 'http://registry.example.org' uses plain http", refused, StringComparison.Ordinal);
        Assert.EndsWith("(or set FhirBridge:Registry:AllowInsecureHttp)", refused, StringComparison.Ordinal);
        Assert.Empty(Failures(r => { r.BaseUrl = "http://registry.example.org/fhir"; r.AllowInsecureHttp = true; }));
    }

    [Fact]
    public void Validate_BadTimeoutAndMissingToken_AreEachNamed()
    {
        var failures = Failures(r =>
        {
            r.BaseUrl = "https://registry.example.org/fhir";
            r.TimeoutSeconds = 0;
            r.Auth.Kind = AuthKind.Bearer;
        });

        Assert.Equal(["FhirBridge:Registry:TimeoutSeconds must be 1-3600 (was 0)", "FhirBridge:Registry:Auth:Token (or TokenFile) is required for Bearer auth"], failures);
    }

    [Fact]
    public void Validate_DirectoryRegistry_IgnoresTheFhirSettings() =>
        Assert.Empty(Failures(r => { r.Kind = RegistryKind.Directory; r.BaseUrl = "not a url"; r.TimeoutSeconds = -5; }));

    [Fact]
    public void Bind_RegistrySmartScopes_DefaultToWriteWhileSourcesDefaultToRead()
    {
        var options = Configuration(new Dictionary<string, string?>
        {
            ["FhirBridge:Registry:Auth:Kind"] = "SmartBackend",
            ["FhirBridge:Sources:0:Auth:Kind"] = "SmartBackend",
        }).GetSection(FhirBridgeOptions.Section).Get<FhirBridgeOptions>()!;

        Assert.Equal(("system/*.write", "system/*.read"), (options.Registry.Auth.Scopes, options.Sources[0].Auth.Scopes));
    }

    [Theory]
    [InlineData("Fhir", typeof(FhirRegistrySink))]
    [InlineData("Directory", typeof(DirectoryRegistrySink))]
    public void AddFhirBridge_RegistryKind_PicksTheSink(string kind, Type expected)
    {
        var configuration = Configuration(new Dictionary<string, string?>
        {
            ["FhirBridge:Sources:0:Name"] = "hospital-a",
            ["FhirBridge:Sources:0:Path"] = "in",
            ["FhirBridge:Registry:Kind"] = kind,
            ["FhirBridge:Registry:BaseUrl"] = "https://registry.example.org/fhir",
            ["FhirBridge:Pseudonymization:Key"] = "test-key-0123456789abcdef",
        });
        using var services = new ServiceCollection().AddLogging().AddFhirBridge(configuration, Path.GetTempPath()).BuildServiceProvider();

        var sink = services.GetRequiredService<IRegistrySink>();

        Assert.IsType(expected, sink);
        if (sink is FhirRegistrySink)
        {
            Assert.Equal("https://registry.example.org/fhir/", sink.Describe());
        }
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
