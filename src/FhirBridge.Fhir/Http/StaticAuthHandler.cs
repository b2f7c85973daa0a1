using System.Net.Http.Headers;
using System.Text;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// Basic or static Bearer credentials, added to requests on the source's own origin only. The secret is read once per
/// handler instance (the factory renews handlers every few minutes, so a rotated secret file is picked up).
/// </summary>
internal sealed class StaticAuthHandler(FhirSourceEndpoint endpoint) : DelegatingHandler
{
    private AuthenticationHeaderValue? _header;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Credentials.Allowed(request, endpoint))
        {
            request.Headers.Authorization = _header ??= Create(endpoint);
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static AuthenticationHeaderValue Create(FhirSourceEndpoint endpoint)
    {
        var auth = endpoint.Settings.Auth;
        if (auth.Kind == FhirSourceAuthKind.Bearer)
        {
            return new AuthenticationHeaderValue("Bearer", SecretReader.Read(auth.Token, auth.TokenFile, endpoint.Label, "Auth:Token"));
        }

        if (string.IsNullOrEmpty(auth.Username) || auth.Username.Contains(':', StringComparison.Ordinal))
        {
            throw new FhirAuthException($"{endpoint.Label}: Auth:Username is required for Basic auth and cannot contain ':'");
        }

        var password = SecretReader.Read(auth.Password, auth.PasswordFile, endpoint.Label, "Auth:Password");
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(auth.Username + ":" + password)));
    }
}
