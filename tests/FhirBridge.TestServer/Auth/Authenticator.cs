using System.Text;
using FhirBridge.TestServer.Http;
using Microsoft.AspNetCore.Http;

namespace FhirBridge.TestServer.Auth;

/// <summary>Checks a request's credentials against the server's <see cref="FhirTestAuth"/>.</summary>
internal static class Authenticator
{
    /// <summary>Null when the request may go on, else the reason to answer 401.</summary>
    public static string? Check(HttpRequest request, ServerContext server)
    {
        var auth = server.Options.Auth;
        if (auth.Kind == FhirTestAuthKind.None)
        {
            return null;
        }

        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return "No Authorization header.";
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header : header[..space];
        var credentials = space < 0 ? "" : header[(space + 1)..].Trim();
        switch (auth.Kind)
        {
            case FhirTestAuthKind.Basic:
                if (!scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
                {
                    return "Basic credentials are required.";
                }

                try
                {
                    var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(credentials));
                    return decoded == auth.Username + ":" + auth.Password ? null : "Wrong user name or password.";
                }
                catch (FormatException)
                {
                    return "The Basic credentials are not Base64.";
                }

            case FhirTestAuthKind.Bearer:
                return scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && credentials == auth.Token ? null : "Invalid bearer token.";
            default:
                return scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) ? server.Tokens.Check(credentials) : "A bearer token is required.";
        }
    }

    /// <summary>The <c>WWW-Authenticate</c> challenge for a 401.</summary>
    public static string Challenge(ServerContext server, string reason) => server.Options.Auth.Kind == FhirTestAuthKind.Basic
        ? "Basic realm=\"fhir\""
        : $"Bearer realm=\"fhir\", error=\"invalid_token\", error_description=\"{reason.Replace("\"", "'", StringComparison.Ordinal)}\"";
}
