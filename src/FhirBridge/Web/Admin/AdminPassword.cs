using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// The admin password's hash: <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c>, PBKDF2 with HMAC-SHA256, salt and hash in
/// standard base64. 600,000 iterations by default (OWASP's figure for PBKDF2-HMAC-SHA256); at least 100,000 accepted.
/// </summary>
public static class AdminPassword
{
    /// <summary>The format's prefix.</summary>
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>Iterations of a new hash.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>The fewest iterations a configured hash may use.</summary>
    public const int MinimumIterations = 100_000;

    private const int SaltBytes = 16, HashBytes = 32, MaximumIterations = 10_000_000;

    /// <summary>A new hash of <paramref name="password"/> with a random salt.</summary>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinimumIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="encoded"/>; the comparison takes the same time wherever they differ.</summary>
    public static bool Verify(string password, string encoded)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (Parse(encoded, out var parsed) is not null)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), parsed.Salt, parsed.Iterations, HashAlgorithmName.SHA256, parsed.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(actual, parsed.Hash);
    }

    /// <summary>Reads a hash; returns null when it is well formed, else what is wrong (never the hash itself).</summary>
    public static string? Parse(string encoded, out (int Iterations, byte[] Salt, byte[] Hash) parsed)
    {
        parsed = default;
        var parts = (encoded ?? string.Empty).Trim().Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            return $"must look like {Scheme}$ITERATIONS$SALT$HASH";
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < MinimumIterations or > MaximumIterations)
        {
            return string.Create(CultureInfo.InvariantCulture, $"must use {MinimumIterations}-{MaximumIterations} iterations");
        }

        var salt = new byte[parts[2].Length];
        var hash = new byte[parts[3].Length];
        if (!Convert.TryFromBase64String(parts[2], salt, out var saltLength) || saltLength < SaltBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"must have a base64 salt of at least {SaltBytes} bytes");
        }

        if (!Convert.TryFromBase64String(parts[3], hash, out var hashLength) || hashLength != HashBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"must have a base64 hash of {HashBytes} bytes");
        }

        parsed = (iterations, salt[..saltLength], hash[..hashLength]);
        return null;
    }
}
