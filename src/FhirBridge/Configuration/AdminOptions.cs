using FhirBridge.Cli.Web.Admin;

namespace FhirBridge.Cli.Configuration;

/// <summary>
/// <c>FhirBridge:Admin</c>: who may use the admin surface (docs/admin.md). With neither a password hash nor an API key,
/// every admin route answers 401.
/// </summary>
public sealed class AdminOptions
{
    /// <summary>
    /// The admin password's salted PBKDF2-SHA256 hash, <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in
    /// base64), as <c>fhirbridge admin hash-password</c> prints it. Signs in user <c>admin</c> through the form. Default none.
    /// </summary>
    public string? PasswordHash { get; set; }

    /// <summary>API keys for scripts, sent as <c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>; at least 32 characters each. Default none.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>How long a sign-in lasts, in minutes (5-1440). Default 480.</summary>
    public int SessionMinutes { get; set; } = 480;

    /// <summary>True when either way of signing in is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(PasswordHash) || ApiKeys.Count > 0;

    /// <summary>The problems of these settings, each naming the setting; called from <see cref="FhirBridgeOptionsValidator"/>.</summary>
    public static IEnumerable<string> Failures(AdminOptions? options, string at)
    {
        if (options is null)
        {
            yield break;
        }

        if (!string.IsNullOrWhiteSpace(options.PasswordHash) && AdminPassword.Parse(options.PasswordHash, out _) is { } problem)
        {
            yield return $"{at}:PasswordHash {problem}; create one with `fhirbridge admin hash-password`";
        }

        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            if (options.ApiKeys[i] is not { Length: >= AdminApiKeys.MinimumLength } key || key.Any(char.IsWhiteSpace))
            {
                yield return $"{at}:ApiKeys:{i} must be at least {AdminApiKeys.MinimumLength} characters without spaces (e.g. `openssl rand -base64 32`)";
            }
        }

        if (options.SessionMinutes is < 5 or > 1440)
        {
            yield return $"{at}:SessionMinutes must be 5-1440 (was {options.SessionMinutes})";
        }
    }
}
