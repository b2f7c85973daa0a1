using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FhirBridge.TestServer.Auth;

/// <summary>The SMART access tokens issued, checked against the server's clock.</summary>
internal sealed class AccessTokens(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);

    public IssuedToken Issue(string clientId, string scope, TimeSpan lifetime)
    {
        var token = new IssuedToken(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), clientId, scope, clock.GetUtcNow() + lifetime);
        _tokens[token.Value] = token;
        return token;
    }

    /// <summary>Null when the token is good, else why not.</summary>
    public string? Check(string token)
    {
        if (!_tokens.TryGetValue(token, out var issued))
        {
            return "The access token is unknown or was revoked.";
        }

        return clock.GetUtcNow() >= issued.ExpiresAt ? "The access token expired." : null;
    }

    public void RevokeAll() => _tokens.Clear();
}
