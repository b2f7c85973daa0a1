using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// The SMART Backend Services client assertion
/// (https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html): a JWT with <c>iss</c> = <c>sub</c> = the
/// client id, <c>aud</c> = the token URL, <c>exp</c> four minutes ahead (the spec allows at most five) and a random
/// <c>jti</c>, signed RS384 with an RSA key or ES384 with an EC P-384 key, with the BCL alone.
/// </summary>
internal static class ClientAssertion
{
    /// <summary>How far ahead <c>exp</c> is: under the five-minute maximum, leaving a minute for clock skew.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(4);

    public static string Create(string who, string clientId, string tokenUrl, DateTimeOffset now, string pem, string? keyId)
    {
        using var key = LoadPrivateKey(who, pem);
        var alg = key is RSA ? "RS384" : "ES384";
        var header = new Dictionary<string, string> { ["alg"] = alg, ["typ"] = "JWT" };
        if (!string.IsNullOrEmpty(keyId))
        {
            header["kid"] = keyId;
        }

        var payload = new Dictionary<string, object>
        {
            ["iss"] = clientId,
            ["sub"] = clientId,
            ["aud"] = tokenUrl,
            ["exp"] = (now + Lifetime).ToUnixTimeSeconds(),
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        };
        var signingInput = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header)) + "."
            + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload));
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = key switch
        {
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            _ => throw new FhirAuthException($"{who}: unsupported key type"),
        };
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>An RSA or EC P-384 private key from PEM (PKCS#1, SEC1 or unencrypted PKCS#8).</summary>
    internal static AsymmetricAlgorithm LoadPrivateKey(string who, string pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new FhirAuthException($"{who}: the private key file is not PEM");
        }

        var label = pem[fields.Label];
        AsymmetricAlgorithm? key = label switch
        {
            "RSA PRIVATE KEY" => Import(RSA.Create(), pem),
            "EC PRIVATE KEY" => Import(ECDsa.Create(), pem),
            "PRIVATE KEY" => (AsymmetricAlgorithm?)Import(RSA.Create(), pem) ?? Import(ECDsa.Create(), pem),
            "ENCRYPTED PRIVATE KEY" => throw new FhirAuthException($"{who}: the private key file is encrypted; give an unencrypted PEM key (protect the file instead)"),
            _ => throw new FhirAuthException($"{who}: the private key file holds a '{label}', not a private key"),
        };
        if (key is null)
        {
            throw new FhirAuthException($"{who}: the private key file holds neither an RSA nor an EC private key");
        }

        if (key is ECDsa { KeySize: not 384 } ec)
        {
            var size = ec.KeySize;
            ec.Dispose();
            throw new FhirAuthException($"{who}: the EC private key is on a {size}-bit curve; ES384 needs P-384");
        }

        return key;
    }

    private static T? Import<T>(T key, string pem)
        where T : AsymmetricAlgorithm
    {
        try
        {
            key.ImportFromPem(pem);
            return key;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            return null;
        }
    }
}
