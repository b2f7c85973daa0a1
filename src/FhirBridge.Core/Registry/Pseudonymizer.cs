using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FhirBridge.Registry;

/// <summary>
/// Keyed hashes (HMAC-SHA256) for everything the registry identifies: same input and key, same pseudonym, across
/// runs and instances; another key, another pseudonym; and no way back to the hospital's ids without the key.
/// </summary>
public sealed class Pseudonymizer
{
    private readonly byte[] _key;

    /// <summary>Creates a pseudonymizer.</summary>
    /// <param name="key">The secret key (<c>FhirBridge:Pseudonymization:Key</c>), at least 16 characters.</param>
    /// <exception cref="ArgumentException">The key is missing or shorter than 16 characters.</exception>
    public Pseudonymizer(string key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length < 16)
        {
            throw new ArgumentException("the pseudonymization key (FhirBridge:Pseudonymization:Key) must be at least 16 characters", nameof(key));
        }

        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>The pseudonym of a patient of a source.</summary>
    public string Patient(string source, string patientId) => Hash("patient", source, patientId);

    /// <summary>A deterministic identifier for anything else, from its kind and parts (study, source, ids).</summary>
    public string Hash(string kind, params ReadOnlySpan<string> parts)
    {
        // Length-prefixed parts, so ("a|b", "c") and ("a", "b|c") can never collide. The length is in UTF-16 code
        // units, written in digits whatever the culture (a length is never negative).
        using var text = Utf8Scratch.Rent();
        text.Append(kind);
        foreach (var part in parts)
        {
            text.Append('\u001f').Append(part.Length, CultureInfo.InvariantCulture).Append(':').Append(part);
        }

        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, text.Written, hash);
        return Convert.ToHexStringLower(hash);
    }
}
