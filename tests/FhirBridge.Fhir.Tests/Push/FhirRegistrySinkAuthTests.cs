using System.Security.Cryptography;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using static FhirBridge.Fhir.Tests.Support.RegistryBundles;

namespace FhirBridge.Fhir.Tests.Push;

/// <summary>The registry's Basic, Bearer and SMART Backend Services credentials, against the test server configured to demand each.</summary>
public sealed class FhirRegistrySinkAuthTests
{
    private const string ClientId = "fhirbridge-registry";

    [InProcessFact]
    public async Task SendAsync_BasicWithPasswordFile_IsAccepted()
    {
        const string password = "registry-pw-4b0d";
        await using var h = await RegistryHarness.StartAsync(
            o => o.Auth = FhirTestAuth.Basic("bridge", password),
            (_, folder) =>
            {
                var file = Path.Combine(folder, "password");
                File.WriteAllText(file, password + "\n");
                return RegistryHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Basic, Username = "bridge", PasswordFile = file } };
            });

        Assert.Null(await h.SendAsync(ChangeSet()));

        Assert.Equal(("Basic", 200), (Assert.Single(h.Transactions).AuthorizationScheme, h.Transactions[0].StatusCode));
        Assert.Equal(1, h.Server.ResourceCount("ResearchSubject"));
        h.Logs.AssertNeverContains(password);
    }

    [InProcessFact]
    public async Task SendAsync_Bearer_IsAccepted()
    {
        const string token = "registry-bearer-90aa";
        await using var h = await RegistryHarness.StartAsync(
            o => o.Auth = FhirTestAuth.Bearer(token),
            RegistryHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = token } });

        Assert.Null(await h.SendAsync(ChangeSet()));

        Assert.Equal(("Bearer", 200), (Assert.Single(h.Transactions).AuthorizationScheme, h.Transactions[0].StatusCode));
        h.Logs.AssertNeverContains(token);
    }

    [InProcessFact]
    public async Task SendAsync_SmartBackendWithDiscovery_OneTokenForSeveralChangeSets()
    {
        using var key = RSA.Create(2048);
        await using var h = await RegistryHarness.StartAsync(
            o =>
            {
                o.Auth = FhirTestAuth.SmartBackend;
                o.RegisterSmartClient(ClientId, key);
            },
            (_, folder) =>
            {
                var keyFile = Path.Combine(folder, "registry-key.pem");
                File.WriteAllText(keyFile, key.ExportRSAPrivateKeyPem());
                return RegistryHarness.FastHttp with
                {
                    Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.SmartBackend, ClientId = ClientId, PrivateKeyFile = keyFile, Scopes = "system/*.write" },
                };
            });

        Assert.Null(await h.SendAsync(ChangeSet("s1", "abc")));
        Assert.Null(await h.SendAsync(ChangeSet("s2", "def")));

        Assert.Single(h.Server.Requests, r => r.Interaction == FhirInteraction.SmartConfiguration);
        Assert.Single(h.Server.Requests, r => r.Interaction == FhirInteraction.Token);
        Assert.All(h.Transactions, t => Assert.Equal(("Bearer", 200), (t.AuthorizationScheme, t.StatusCode)));
        Assert.Equal(2, h.Server.ResourceCount("ResearchSubject"));
        h.Logs.AssertNeverContains("PRIVATE KEY");
    }

    [InProcessFact]
    public async Task SendAsync_SmartKeyFileMissing_IsTransient_AndLoggedAsAnError()
    {
        await using var h = await RegistryHarness.StartAsync(
            o => o.Auth = FhirTestAuth.SmartBackend,
            (_, folder) => RegistryHarness.FastHttp with
            {
                Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.SmartBackend, ClientId = ClientId, PrivateKeyFile = Path.Combine(folder, "missing.pem") },
            });

        var failure = await h.SendAsync(ChangeSet());

        Assert.NotNull(failure);
        Assert.False(failure.Permanent);
        Assert.StartsWith("registry: the Auth:PrivateKeyFile file ", failure.Message, StringComparison.Ordinal);
        Assert.True(h.Logs.Contains("could not authenticate to the registry", Microsoft.Extensions.Logging.LogLevel.Error));
        Assert.Empty(h.Transactions);
    }
}
