using System.Security.Cryptography;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using static FhirBridge.Fhir.Tests.Support.Fhir;

namespace FhirBridge.Fhir.Tests.Http;

/// <summary>Basic, Bearer and SMART Backend Services against the in-process server, which is configured to demand them.</summary>
public sealed class AuthTests
{
    private const string ClientId = "fhirbridge";
    private static readonly RestSourceSettings ProceduresByTwo = new() { ResourceTypes = ["Patient", "Procedure"], PageSize = 2 };

    [InProcessFact]
    public async Task PullAsync_BasicWithPasswordFile_SendsBasicOnEveryRequest()
    {
        const string password = "pw-from-file-93b1";
        var folder = Directory.CreateTempSubdirectory("fhirbridge-secret-");
        try
        {
            var file = Path.Combine(folder.FullName, "password");
            await File.WriteAllTextAsync(file, password + "\n");
            var auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Basic, Username = "bridge", PasswordFile = file };
            await using var h = await SeededAsync(auth, o => o.Auth = FhirTestAuth.Basic("bridge", password));

            var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

            Assert.Equal(5, summary.ResourcesByType["Procedure"]);
            Assert.All(h.Server.Requests, r => Assert.Equal(("Basic", 200), (r.AuthorizationScheme, r.StatusCode)));
            h.Logs.AssertNeverContains(password);
            Assert.DoesNotContain(password, auth.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [InProcessFact]
    public async Task PullAsync_Bearer_SendsTheTokenOnEveryRequest()
    {
        const string token = "static-bearer-5d2c";
        await using var h = await SeededAsync(
            new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = token }, o => o.Auth = FhirTestAuth.Bearer(token));

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.All(h.Server.Requests, r => Assert.Equal(("Bearer", 200), (r.AuthorizationScheme, r.StatusCode)));
        h.Logs.AssertNeverContains(token);
    }

    [InProcessFact]
    public async Task PullAsync_WrongBearerToken_FailsNamingTheSourceButNotTheToken()
    {
        const string wrong = "wrong-bearer-81aa";
        await using var h = await SeededAsync(
            new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = wrong }, o => o.Auth = FhirTestAuth.Bearer("right-bearer"));

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));

        Assert.Contains($"source {PullHarness.Source}: Patient search, page 1: the server answered 401", failure.Message, StringComparison.Ordinal);
        Assert.Single(h.Server.Requests); // a 401 is not retried
        Assert.DoesNotContain(wrong, failure.ToString(), StringComparison.Ordinal);
        h.Logs.AssertNeverContains(wrong);
    }

    [InProcessFact]
    public async Task PullAsync_SmartBackendRs384WithDiscovery_OneTokenForEveryPage()
    {
        using var key = RSA.Create(2048);
        await using var h = await SmartAsync(key, key.ExportRSAPrivateKeyPem());

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.Single(h.Requests(FhirInteraction.SmartConfiguration));
        Assert.Single(h.Requests(FhirInteraction.Token));
        var data = h.Server.Requests.Where(r => r.Interaction is FhirInteraction.Search or FhirInteraction.SearchPage).ToList();
        Assert.Equal(4, data.Count); // Patient, and Procedure in three pages
        Assert.All(data, r => Assert.Equal(("Bearer", 200), (r.AuthorizationScheme, r.StatusCode)));
        Assert.All(h.Requests(FhirInteraction.Token), r => Assert.False(r.HasAuthorization));
        h.Logs.AssertNeverContains("PRIVATE KEY");
    }

    [InProcessFact]
    public async Task PullAsync_SmartBackendEs384Pkcs8WithTokenUrl_Completes()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        await using var h = await SmartAsync(key, key.ExportPkcs8PrivateKeyPem(), configureTokenUrl: true);

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.Empty(h.Requests(FhirInteraction.SmartConfiguration)); // the configured URL needs no discovery
        Assert.Single(h.Requests(FhirInteraction.Token));
        Assert.All(h.Server.Requests.Where(r => r.Interaction != FhirInteraction.Token), r => Assert.Equal(200, r.StatusCode));
    }

    [InProcessFact]
    public async Task PullAsync_TokenRevokedMidPull_IsRefreshedOnceAndThePullCompletes()
    {
        using var key = RSA.Create(2048);
        await using var h = await SmartAsync(key, key.ExportRSAPrivateKeyPem());
        var rule = h.Server.Faults.Enqueue(Fault.Unauthorized(), FhirInteraction.SearchPage);

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(1, rule.Fired);
        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.Equal(2, h.Requests(FhirInteraction.Token).Count);
    }

    [InProcessFact]
    public async Task PullAsync_401AfterTheRefresh_FailsWithoutAThirdToken()
    {
        using var key = RSA.Create(2048);
        await using var h = await SmartAsync(key, key.ExportRSAPrivateKeyPem());
        h.Server.Faults.Enqueue(Fault.Unauthorized(), FhirInteraction.Search, "Procedure", times: 2);

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));

        Assert.Contains("Procedure search, page 1: the server answered 401", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, h.Requests(FhirInteraction.Token).Count);
        Assert.Equal(2, h.Requests(FhirInteraction.Search, "Procedure").Count);
    }

    [InProcessFact]
    public async Task PullAsync_TokenExpiredOnTheClock_GetsANewTokenBeforeSending()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        await using var h = await SmartAsync(key, key.ExportECPrivateKeyPem());
        await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);
        h.Clock.Advance(TimeSpan.FromMinutes(4.5)); // the server's tokens live 5 minutes; the cache renews a minute early

        await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(2, h.Requests(FhirInteraction.Token).Count);
        Assert.DoesNotContain(h.Server.Requests, r => r.StatusCode == 401);
    }

    [InProcessFact]
    public async Task PullAsync_UnregisteredSmartKey_FailsWithTheServersOAuthError()
    {
        using var registered = RSA.Create(2048);
        using var other = RSA.Create(2048);
        await using var h = await SmartAsync(registered, other.ExportRSAPrivateKeyPem());

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));

        Assert.Contains("refused the client: 400 invalid_client", failure.Message, StringComparison.Ordinal);
        Assert.Single(h.Requests(FhirInteraction.Token)); // a refused assertion is not retried
        Assert.DoesNotContain(h.Server.Requests, r => r.Interaction == FhirInteraction.Search);
    }

    /// <summary>A SMART server that knows <paramref name="registered"/>'s public key; the client signs with <paramref name="pem"/>, a PEM file.</summary>
    private static async Task<PullHarness> SmartAsync(AsymmetricAlgorithm registered, string pem, bool configureTokenUrl = false)
    {
        var h = await PullHarness.StartAsync(
            o =>
            {
                o.Auth = FhirTestAuth.SmartBackend;
                if (registered is RSA rsa)
                {
                    o.RegisterSmartClient(ClientId, rsa);
                }
                else
                {
                    o.RegisterSmartClient(ClientId, (ECDsa)registered);
                }
            },
            (target, folder) =>
            {
                var keyFile = Path.Combine(folder, "client-key.pem");
                File.WriteAllText(keyFile, pem);
                return PullHarness.FastHttp with
                {
                    Auth = new FhirSourceAuthSettings
                    {
                        Kind = FhirSourceAuthKind.SmartBackend,
                        ClientId = ClientId,
                        PrivateKeyFile = keyFile,
                        TokenUrl = configureTokenUrl ? target.Server!.TokenUrl : null,
                    },
                };
            });
        await SeedAsync(h);
        return h;
    }

    private static async Task<PullHarness> SeededAsync(FhirSourceAuthSettings auth, Action<FhirTestServerOptions> server)
    {
        var h = await PullHarness.StartAsync(server, PullHarness.FastHttp with { Auth = auth });
        await SeedAsync(h);
        return h;
    }

    private static async Task SeedAsync(PullHarness h)
    {
        var patient = Id("p1");
        await h.SeedAsync([Patient(patient), .. Enumerable.Range(0, 5).Select(i => Procedure(Id("op" + i), patient))]);
        h.Server.ClearRequests();
    }
}
