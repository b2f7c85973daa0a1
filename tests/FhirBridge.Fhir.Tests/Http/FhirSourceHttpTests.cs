using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Tests.Http;

/// <summary>The one HTTP path itself: what is retried, what is refused before it is sent, and the pieces it is made of.</summary>
public sealed class FhirSourceHttpTests
{
    [InProcessFact]
    public async Task Post_ServiceUnavailable_IsNeverReplayed()
    {
        await using var h = await PullHarness.StartAsync();
        var rule = h.Server.Faults.Enqueue(Fault.ServiceUnavailable(retryAfterSeconds: 0), FhirInteraction.Transaction, times: 5);
        var http = h.Services.GetRequiredService<IHttpClientFactory>().CreateClient(FhirSourceHttp.ClientName(PullHarness.Source));
        using var content = new StringContent("""{"resourceType":"Bundle","type":"transaction","entry":[]}""");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");

        using var response = await http.PostAsync(h.Target.BaseUrl, content);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, rule.Fired);
        Assert.Single(h.Requests(FhirInteraction.Transaction));
    }

    [InProcessFact]
    public async Task Get_AnotherOrigin_IsRefusedLoggedAndNeverSent()
    {
        await using var h = await PullHarness.StartAsync(
            null, PullHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = "t" } });
        var http = h.Services.GetRequiredService<IHttpClientFactory>().CreateClient(FhirSourceHttp.ClientName(PullHarness.Source));

        var refused = await Assert.ThrowsAsync<RefusedRequestException>(() => http.GetAsync(new Uri(h.Server.ForeignOrigin, "fhir/Patient")));

        Assert.Contains("another origin", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Server.Requests, r => r.IsForeignHost);
        Assert.True(h.Logs.Contains("Refused a GET request of source hospital-a", LogLevel.Warning));
    }

    [Fact]
    public async Task Get_PlainHttpToAHostOffLoopback_IsRefusedWithoutConnecting()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddFhirSourceHttp("remote", new Uri("http://fhir.hospital.invalid/fhir"), new FhirSourceHttpSettings { MaxRetries = 0 });
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient(FhirSourceHttp.ClientName("remote"));

        var refused = await Assert.ThrowsAsync<RefusedRequestException>(() => http.GetAsync(new Uri("http://fhir.hospital.invalid/fhir/Patient")));

        Assert.Contains("plain http", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckBaseUrl_Schemes_HttpsOrLoopbackOrAllowed()
    {
        Assert.Null(FhirSourceHttp.CheckBaseUrl(new Uri("https://fhir.hospital.example/r4/"), allowInsecureHttp: false));
        Assert.Null(FhirSourceHttp.CheckBaseUrl(new Uri("http://127.0.0.1:8080/fhir/"), allowInsecureHttp: false));
        Assert.Null(FhirSourceHttp.CheckBaseUrl(new Uri("http://localhost/fhir/"), allowInsecureHttp: false));
        Assert.Contains("plain http", FhirSourceHttp.CheckBaseUrl(new Uri("http://fhir.hospital.example/"), allowInsecureHttp: false), StringComparison.Ordinal);
        Assert.Null(FhirSourceHttp.CheckBaseUrl(new Uri("http://fhir.hospital.example/"), allowInsecureHttp: true));
        Assert.NotNull(FhirSourceHttp.CheckBaseUrl(new Uri("ftp://fhir.hospital.example/"), allowInsecureHttp: true));
        Assert.NotNull(FhirSourceHttp.CheckBaseUrl(new Uri("https://fhir.hospital.example/r4?x=1"), allowInsecureHttp: false));
    }

    [Fact]
    public void AddFhirSourceHttp_SameNameTwice_Throws()
    {
        var services = new ServiceCollection();
        services.AddFhirSourceHttp("a", new Uri("https://fhir.example/"), new FhirSourceHttpSettings());

        Assert.Throws<ArgumentException>(() => services.AddFhirSourceHttp("a", new Uri("https://other.example/"), new FhirSourceHttpSettings()));
    }

    [Fact]
    public void AddFhirSourceHttp_SettingOutOfRange_ThrowsNamingIt()
    {
        var services = new ServiceCollection();

        var failure = Assert.Throws<ArgumentException>(() => services.AddFhirSourceHttp(
            "a", new Uri("https://fhir.example/"), new FhirSourceHttpSettings { CircuitBreakerMinimumThroughput = 1 }));

        Assert.Contains("source a: CircuitBreakerMinimumThroughput must be at least 2", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_PasswordFileMissing_FailsNamingTheSettingBeforeSendingAnything()
    {
        await using var h = await PullHarness.StartAsync(null, (_, folder) => PullHarness.FastHttp with
        {
            Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Basic, Username = "bridge", PasswordFile = Path.Combine(folder, "missing") },
        });

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest().PullAsync(h.Store, null, default));

        Assert.StartsWith("source hospital-a: Patient search, page 1: the Auth:Password file ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be read", failure.Message, StringComparison.Ordinal);
        if (!h.Target.IsExternal)
        {
            Assert.Empty(h.Server.Requests);
        }
    }

    [Fact]
    public void CreateRest_SourceNotRegistered_SaysWhatToCall()
    {
        using var provider = new ServiceCollection().AddLogging().BuildServiceProvider();

        var failure = Assert.Throws<InvalidOperationException>(() => FhirSources.CreateRest(provider, "missing", new RestSourceSettings()));

        Assert.Contains("AddFhirSourceHttp", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryAfter_SecondsOrHttpDate_AreWaitsOnTheClock()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", "Sat, 01 Mar 2025 08:00:03 GMT");
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", "Sat, 01 Mar 2025 07:00:00 GMT");
        using var server = new HttpResponseMessage(HttpStatusCode.InternalServerError);
        server.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), RetryAfter.ForRetry(seconds, clock, TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromSeconds(3), RetryAfter.ForRetry(date, clock, TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.Zero, RetryAfter.ForRetry(past, clock, TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromSeconds(2), RetryAfter.ForRetry(seconds, clock, TimeSpan.FromSeconds(2)));
        Assert.Null(RetryAfter.ForRetry(server, clock, TimeSpan.FromMinutes(1))); // a 500 backs off exponentially instead
    }

    [Fact]
    public void LoadPrivateKey_UnusableKeys_SayWhyWithoutTheKey()
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        var encrypted = rsa.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));

        Assert.Contains("ES384 needs P-384", Assert.Throws<FhirAuthException>(() => ClientAssertion.LoadPrivateKey("s", p256.ExportECPrivateKeyPem())).Message, StringComparison.Ordinal);
        Assert.Contains("encrypted", Assert.Throws<FhirAuthException>(() => ClientAssertion.LoadPrivateKey("s", encrypted)).Message, StringComparison.Ordinal);
        Assert.Contains("not a private key", Assert.Throws<FhirAuthException>(() => ClientAssertion.LoadPrivateKey("s", rsa.ExportSubjectPublicKeyInfoPem())).Message, StringComparison.Ordinal);
        Assert.Contains("not PEM", Assert.Throws<FhirAuthException>(() => ClientAssertion.LoadPrivateKey("s", "hello")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientAssertion_Rs384_CarriesTheClaimsTheSpecAsksFor()
    {
        using var rsa = RSA.Create(2048);
        var now = new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

        var first = ClientAssertion.Create("s", "bridge", "https://auth.example/token", now, rsa.ExportRSAPrivateKeyPem(), "key-1");
        var second = ClientAssertion.Create("s", "bridge", "https://auth.example/token", now, rsa.ExportRSAPrivateKeyPem(), null);

        var parts = first.Split('.');
        var header = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0])).RootElement;
        var claims = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])).RootElement;
        Assert.Equal(("RS384", "key-1"), (header.GetProperty("alg").GetString(), header.GetProperty("kid").GetString()));
        Assert.Equal(("bridge", "bridge", "https://auth.example/token"),
            (claims.GetProperty("iss").GetString(), claims.GetProperty("sub").GetString(), claims.GetProperty("aud").GetString()));
        Assert.InRange(claims.GetProperty("exp").GetInt64() - now.ToUnixTimeSeconds(), 1, 300);
        Assert.True(rsa.VerifyData(System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]),
            HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1));
        var secondClaims = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(second.Split('.')[1])).RootElement;
        Assert.NotEqual(claims.GetProperty("jti").GetString(), secondClaims.GetProperty("jti").GetString());
    }

    [Fact]
    public void Settings_ToString_NeverShowsSecrets()
    {
        var settings = new FhirSourceHttpSettings
        {
            Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Basic, Username = "bridge", Password = "pw-6e1f", Token = "tk-0c9a" },
        };

        var text = settings.ToString();

        Assert.Contains("bridge", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-6e1f", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tk-0c9a", text, StringComparison.Ordinal);
    }
}
