using System.Net;
using System.Security.Cryptography;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>SMART Backend Services (https://hl7.org/fhir/smart-app-launch/backend-services.html) and the other auth modes.</summary>
public sealed class SmartAuthTests
{
    private const string ClientId = "fhirbridge";

    // Key generation is slow; the keys are shared by every test (xunit makes an instance per test).
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly RSA OtherRsa = RSA.Create(2048);
    private static readonly ECDsa Ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    private readonly ManualClock _clock = new(ManualClock.DefaultStart);

    [Fact]
    public async Task SmartConfiguration_Get_AdvertisesTokenEndpointAndAlgorithms()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, ".well-known/smart-configuration");
        var config = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(server.TokenUrl.ToString(), config.GetProperty("token_endpoint").GetString());
        Assert.Equal(["client_credentials"], config.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["private_key_jwt"], config.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["RS384", "ES384"], config.GetProperty("token_endpoint_auth_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Token_Rs384Assertion_IssuesBearerTokenThatOpensTheApi()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);

        using var without = await GetAsync(http, "Patient");
        using var tokenResponse = await http.PostAsync(server.TokenUrl,
            ClientAssertion.TokenRequest(ClientAssertion.Create(ClientId, server.TokenUrl, _clock.GetUtcNow(), Rsa), "system/Patient.read system/Procedure.rs"));
        var token = await JsonAsync(tokenResponse);
        http.DefaultRequestHeaders.Authorization = BearerHeader(token.GetProperty("access_token").GetString()!);
        using var with = await GetAsync(http, "Patient");

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Contains("Bearer", without.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        Assert.Equal("bearer", token.GetProperty("token_type").GetString());
        Assert.Equal(300, token.GetProperty("expires_in").GetInt32());
        Assert.Equal("system/Patient.read system/Procedure.rs", token.GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }

    [Fact]
    public async Task Token_Es384Assertion_IssuesToken()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);

        using var response = await http.PostAsync(server.TokenUrl,
            ClientAssertion.TokenRequest(ClientAssertion.Create("ec-client", server.TokenUrl, _clock.GetUtcNow(), Ec)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Token_SignedWithAnotherKey_ReturnsInvalidClient()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);
        var error = await TokenErrorAsync(http, ClientAssertion.Create(ClientId, server.TokenUrl, _clock.GetUtcNow(), OtherRsa));

        Assert.Equal("invalid_client", error.Code);
        Assert.Contains("signature", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_WrongAudience_ReturnsInvalidClient()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);

        var error = await TokenErrorAsync(http, ClientAssertion.Create(ClientId, server.BaseUrl, _clock.GetUtcNow(), Rsa));

        Assert.Equal("invalid_client", error.Code);
        Assert.Contains("aud", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_ReplayedJti_ReturnsInvalidClient()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);
        var assertion = ClientAssertion.Create(ClientId, server.TokenUrl, _clock.GetUtcNow(), Rsa, jti: "once");
        using var first = await http.PostAsync(server.TokenUrl, ClientAssertion.TokenRequest(assertion));

        var error = await TokenErrorAsync(http, assertion);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("invalid_client", error.Code);
        Assert.Contains("jti", error.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6 * 60, "five minutes")]
    [InlineData(-10, "expired")]
    public async Task Token_ExpOutOfRange_ReturnsInvalidClient(int lifetimeSeconds, string message)
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);

        var error = await TokenErrorAsync(http,
            ClientAssertion.Create(ClientId, server.TokenUrl, _clock.GetUtcNow(), Rsa, lifetime: TimeSpan.FromSeconds(lifetimeSeconds)));

        Assert.Equal("invalid_client", error.Code);
        Assert.Contains(message, error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_UnknownClientOrSubMismatch_ReturnsInvalidClient()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);

        var unknown = await TokenErrorAsync(http, ClientAssertion.Create("stranger", server.TokenUrl, _clock.GetUtcNow(), Rsa));
        var mismatch = await TokenErrorAsync(http, ClientAssertion.Create(ClientId, server.TokenUrl, _clock.GetUtcNow(), Rsa, subject: "other"));

        Assert.Equal("invalid_client", unknown.Code);
        Assert.Equal("invalid_client", mismatch.Code);
    }

    [Fact]
    public async Task Token_WrongGrantType_ReturnsUnsupportedGrantType()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "password" });

        using var response = await http.PostAsync(server.TokenUrl, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AccessToken_PastItsLifetimeOnTheClock_Returns401()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);
        http.DefaultRequestHeaders.Authorization = BearerHeader(server.IssueAccessToken());
        using var fresh = await GetAsync(http, "Patient");

        _clock.Advance(TimeSpan.FromMinutes(5));
        using var expired = await GetAsync(http, "Patient");

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("invalid_token", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeAccessTokens_ThenRequest_Returns401()
    {
        await using var server = await StartSmartAsync();
        using var http = HttpClientFor(server);
        http.DefaultRequestHeaders.Authorization = BearerHeader(server.IssueAccessToken());

        server.RevokeAccessTokens();
        using var response = await GetAsync(http, "Patient");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Token_OnServerWithoutSmart_Returns404()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var config = await GetAsync(http, ".well-known/smart-configuration");
        using var token = await http.PostAsync(server.TokenUrl, ClientAssertion.TokenRequest("x.y.z"));

        Assert.Equal(HttpStatusCode.NotFound, config.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
    }

    [Theory]
    [InlineData("user:pass", HttpStatusCode.OK)]
    [InlineData("user:wrong", HttpStatusCode.Unauthorized)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Basic_Credentials_AreChecked(string? credentials, HttpStatusCode expected)
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.Basic("user", "pass"));
        using var http = HttpClientFor(server);
        if (credentials is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        }

        using var response = await GetAsync(http, "Patient");

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("static-token", HttpStatusCode.OK)]
    [InlineData("other", HttpStatusCode.Unauthorized)]
    public async Task Bearer_StaticToken_IsChecked(string token, HttpStatusCode expected)
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.Bearer("static-token"));
        using var http = HttpClientFor(server);
        http.DefaultRequestHeaders.Authorization = BearerHeader(token);

        using var response = await GetAsync(http, "Patient");

        Assert.Equal(expected, response.StatusCode);
    }

    private async Task<FhirTestServer> StartSmartAsync() => await StartAsync(_clock, o =>
    {
        o.Auth = FhirTestAuth.SmartBackend;
        o.RegisterSmartClient(ClientId, Rsa);
        o.RegisterSmartClient("ec-client", Ec);
    });

    private static async Task<(string Code, string Description)> TokenErrorAsync(HttpClient http, string assertion)
    {
        using var response = await http.PostAsync(new Uri("/auth/token", UriKind.Relative), ClientAssertion.TokenRequest(assertion));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        return (body.GetProperty("error").GetString()!, body.GetProperty("error_description").GetString()!);
    }
}
