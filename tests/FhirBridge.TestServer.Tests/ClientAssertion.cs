using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FhirBridge.TestServer.Tests;

/// <summary>SMART Backend Services client assertions, signed with the BCL (RS384 or ES384).</summary>
internal static class ClientAssertion
{
    public static string Create(string clientId, Uri audience, DateTimeOffset now, AsymmetricAlgorithm key, string? jti = null,
        TimeSpan? lifetime = null, string? subject = null)
    {
        var alg = key is RSA ? "RS384" : "ES384";
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = alg, ["typ"] = "JWT", ["kid"] = "test-key" });
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = clientId,
            ["sub"] = subject ?? clientId,
            ["aud"] = audience.ToString(),
            ["exp"] = (now + (lifetime ?? TimeSpan.FromMinutes(4))).ToUnixTimeSeconds(),
            ["jti"] = jti ?? Guid.NewGuid().ToString(),
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = key switch
        {
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => throw new ArgumentException("RSA or ECDsa only.", nameof(key)),
        };
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    public static FormUrlEncodedContent TokenRequest(string assertion, string scope = "system/*.read") => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ["client_assertion"] = assertion,
        ["scope"] = scope,
    });
}
