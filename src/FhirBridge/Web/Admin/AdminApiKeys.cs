using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>API keys for scripts: <c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>, compared in constant time.</summary>
public sealed class AdminApiKeys
{
    /// <summary>The shortest key accepted in settings.</summary>
    public const int MinimumLength = 32;

    // Keys are compared as SHA-256 digests: equal length, so FixedTimeEquals leaks neither content nor length.
    private readonly byte[][] _digests;

    /// <summary>Holds the configured keys.</summary>
    public AdminApiKeys(IEnumerable<string> keys) => _digests = [.. keys.Select(Digest)];

    /// <summary>Whether the request carries one of the keys.</summary>
    public bool Accepts(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var presented = request.Headers["X-Api-Key"].ToString();
        if (presented.Length == 0)
        {
            var authorization = request.Headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                presented = authorization["Bearer ".Length..].Trim();
            }
        }

        if (presented.Length == 0 || _digests.Length == 0)
        {
            return false;
        }

        var digest = Digest(presented);
        var match = false;

        // Every key is compared, so the time does not say which one matched.
        foreach (var known in _digests)
        {
            match |= CryptographicOperations.FixedTimeEquals(digest, known);
        }

        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
