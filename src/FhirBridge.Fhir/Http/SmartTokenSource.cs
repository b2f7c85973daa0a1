using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// A source's SMART Backend Services access tokens (https://hl7.org/fhir/smart-app-launch/backend-services.html): the
/// token URL from the settings or discovered at <c>{base}.well-known/smart-configuration</c>; a client_credentials
/// request with a fresh signed assertion; the token cached until shortly before <c>expires_in</c>, on the injected clock.
/// One per source, shared by every handler instance the factory makes.
/// </summary>
internal sealed class SmartTokenSource(FhirSourceEndpoint endpoint, IHttpClientFactory clients, TimeProvider clock, ILogger logger) : IDisposable
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly TimeSpan MaxRenewMargin = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SmartAccessToken? _current;
    private string? _tokenUrl;

    /// <summary>A valid token: the cached one, or a new one.</summary>
    public async Task<SmartAccessToken> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _current) is { } cached && clock.GetUtcNow() < cached.RenewAt)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } again && clock.GetUtcNow() < again.RenewAt)
            {
                return again;
            }

            var token = await RequestAsync(cancellationToken);
            Volatile.Write(ref _current, token);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/> (the server refused it), unless a newer one replaced it already.</summary>
    public void Invalidate(SmartAccessToken token, string reason)
    {
        if (Interlocked.CompareExchange(ref _current, null, token) == token)
        {
            logger.LogInformation("Dropped the SMART access token of {Endpoint} ({Reason}); fetching a new one", endpoint.Label, reason);
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<SmartAccessToken> RequestAsync(CancellationToken cancellationToken)
    {
        var auth = endpoint.Settings.Auth;
        if (string.IsNullOrEmpty(auth.ClientId))
        {
            throw new FhirAuthException($"{endpoint.Label}: Auth:ClientId is required for SmartBackend auth");
        }

        var http = clients.CreateClient(endpoint.AuthClientName);
        var tokenUrl = _tokenUrl ??= await DiscoverAsync(http, cancellationToken);
        var pem = SecretReader.Read(null, auth.PrivateKeyFile, endpoint.Label, "Auth:PrivateKeyFile");
        var assertion = ClientAssertion.Create(endpoint.Label, auth.ClientId, tokenUrl, clock.GetUtcNow(), pem, auth.KeyId);

        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = auth.Scopes,
            ["client_assertion_type"] = AssertionType,
            ["client_assertion"] = assertion,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(tokenUrl)) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        var requested = clock.GetUtcNow();
        using var response = await http.SendAsync(request, cancellationToken);
        using var body = await ReadJsonAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = $"{(int)response.StatusCode} {Text(body, "error")}: {Text(body, "error_description")}".TrimEnd(' ', ':');
            if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
            {
                // Transient: the source's GET is retried, and that asks again with a fresh assertion.
                throw new HttpRequestException($"{endpoint.Label}: the SMART token endpoint answered {error}", null, response.StatusCode);
            }

            throw new FhirAuthException($"{endpoint.Label}: the SMART token endpoint {Origins.Of(new Uri(tokenUrl))} refused the client: {error}");
        }

        var value = Text(body, "access_token");
        if (string.IsNullOrEmpty(value))
        {
            throw new FhirAuthException($"{endpoint.Label}: the SMART token endpoint answered without an access_token");
        }

        if (Text(body, "token_type") is { } type && !type.Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new FhirAuthException($"{endpoint.Label}: the SMART token endpoint issued a '{type}' token, not a bearer token");
        }

        var lifetime = body?.RootElement.TryGetProperty("expires_in", out var e) == true && e.TryGetDouble(out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultLifetime;
        var margin = lifetime / 5 < MaxRenewMargin ? lifetime / 5 : MaxRenewMargin;
        logger.LogInformation("Got a SMART access token for {Endpoint}, valid {Seconds} s", endpoint.Label, (long)lifetime.TotalSeconds);
        return new SmartAccessToken(value, requested + lifetime - margin);
    }

    private async Task<string> DiscoverAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var configured = endpoint.Settings.Auth.TokenUrl;
        string url;
        if (configured is not null)
        {
            url = configured.OriginalString;
        }
        else
        {
            var discovery = new Uri(endpoint.BaseUrl, ".well-known/smart-configuration");
            using var request = new HttpRequestMessage(HttpMethod.Get, discovery);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await http.SendAsync(request, cancellationToken);
            using var body = await ReadJsonAsync(response, cancellationToken);
            if (!response.IsSuccessStatusCode || Text(body, "token_endpoint") is not { Length: > 0 } found)
            {
                throw new FhirAuthException(
                    $"{endpoint.Label}: no token URL: {discovery.AbsolutePath} answered {(int)response.StatusCode} without a token_endpoint; set Auth:TokenUrl");
            }

            url = found;
            logger.LogInformation("Discovered the SMART token endpoint of {Endpoint}: {TokenOrigin}", endpoint.Label, Origins.Of(new Uri(found, UriKind.RelativeOrAbsolute)));
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !Origins.SchemeAllowed(uri, endpoint.Settings.AllowInsecureHttp))
        {
            throw new FhirAuthException($"{endpoint.Label}: the SMART token URL must be an absolute https URL (http only on loopback or when allowed)");
        }

        return url;
    }

    private static async Task<JsonDocument?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return text.Length == 0 ? null : JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonDocument? document, string name) =>
        document?.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
