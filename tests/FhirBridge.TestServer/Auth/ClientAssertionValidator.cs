using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FhirBridge.TestServer.Auth;

/// <summary>
/// Checks a SMART Backend Services client assertion
/// (https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html#authenticating-to-the-token-endpoint):
/// an RS384 or ES384 JWT signed by a registered key, <c>iss</c> = <c>sub</c> = the client id, <c>aud</c> = the token URL,
/// <c>exp</c> in the future and at most five minutes ahead, a <c>jti</c> never seen before.
/// </summary>
internal sealed class ClientAssertionValidator(IReadOnlyDictionary<string, List<AsymmetricAlgorithm>> clients, TimeProvider clock)
{
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _usedJti = new(StringComparer.Ordinal);

    /// <summary>Returns the client id, or throws <see cref="AssertionException"/> saying what is wrong.</summary>
    public string Validate(string assertion, string tokenUrl)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            throw new AssertionException("client_assertion is not a signed JWT (header.payload.signature).");
        }

        JsonElement header, payload;
        byte[] signature;
        try
        {
            header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
            payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new AssertionException("client_assertion is not a well-formed JWT: " + e.Message, e);
        }

        var alg = Text(header, "alg");
        var iss = Text(payload, "iss") ?? throw new AssertionException("The assertion has no iss.");
        if (!clients.TryGetValue(iss, out var keys))
        {
            throw new AssertionException($"Unknown client '{iss}'.");
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!keys.Any(key => Verify(alg, key, signed, signature)))
        {
            throw new AssertionException(alg is "RS384" or "ES384"
                ? $"The assertion's {alg} signature does not verify with any key registered for '{iss}'."
                : $"alg '{alg}' is not supported (RS384, ES384).");
        }

        if (Text(payload, "sub") != iss)
        {
            throw new AssertionException("The assertion's sub must equal its iss (the client id).");
        }

        var audiences = payload.TryGetProperty("aud", out var aud)
            ? aud.ValueKind == JsonValueKind.Array ? aud.EnumerateArray().Select(a => a.ToString()).ToArray() : [aud.ToString()]
            : [];
        if (!audiences.Contains(tokenUrl, StringComparer.Ordinal))
        {
            throw new AssertionException($"The assertion's aud must be the token URL {tokenUrl}.");
        }

        if (!payload.TryGetProperty("exp", out var expElement) || !expElement.TryGetDouble(out var exp))
        {
            throw new AssertionException("The assertion has no numeric exp.");
        }

        var expires = DateTimeOffset.FromUnixTimeMilliseconds((long)(exp * 1000));
        var now = clock.GetUtcNow();
        if (expires <= now)
        {
            throw new AssertionException("The assertion expired.");
        }

        if (expires > now + MaxLifetime)
        {
            throw new AssertionException("The assertion's exp is more than five minutes in the future.");
        }

        var jti = Text(payload, "jti");
        if (string.IsNullOrEmpty(jti))
        {
            throw new AssertionException("The assertion has no jti.");
        }

        if (!_usedJti.TryAdd(iss + "\n" + jti, expires))
        {
            throw new AssertionException($"The assertion's jti '{jti}' was already used.");
        }

        return iss;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static bool Verify(string? alg, AsymmetricAlgorithm key, byte[] data, byte[] signature)
    {
        lock (key)
        {
            return (alg, key) switch
            {
                ("RS384", RSA rsa) => rsa.VerifyData(data, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
                ("ES384", ECDsa ec) => ec.KeySize == 384
                    && ec.VerifyData(data, signature, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
                _ => false,
            };
        }
    }
}
