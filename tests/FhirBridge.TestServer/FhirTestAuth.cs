namespace FhirBridge.TestServer;

/// <summary>
/// The authentication a <see cref="FhirTestServer"/> asks for (<see cref="FhirTestServerOptions.Auth"/>). Every FHIR
/// request needs it except <c>metadata</c>, <c>.well-known/smart-configuration</c> and the token endpoint; Bulk Data
/// files too, and then the manifest says <c>requiresAccessToken: true</c>. A request without valid credentials gets 401
/// with <c>WWW-Authenticate</c> and an OperationOutcome.
/// </summary>
public sealed class FhirTestAuth
{
    private FhirTestAuth(FhirTestAuthKind kind, string? username = null, string? password = null, string? token = null)
    {
        Kind = kind;
        Username = username;
        Password = password;
        Token = token;
    }

    /// <summary>No authentication (the default).</summary>
    public static FhirTestAuth None { get; } = new(FhirTestAuthKind.None);

    /// <summary>
    /// SMART Backend Services: clients registered with <see cref="FhirTestServerOptions.RegisterSmartClient(string, System.Security.Cryptography.RSA)"/>
    /// get tokens from <see cref="FhirTestServer.TokenUrl"/>, valid for <see cref="FhirTestServerOptions.TokenLifetime"/>.
    /// </summary>
    public static FhirTestAuth SmartBackend { get; } = new(FhirTestAuthKind.SmartBackend);

    /// <summary>The kind of authentication.</summary>
    public FhirTestAuthKind Kind { get; }

    /// <summary>The Basic user name, for <see cref="FhirTestAuthKind.Basic"/>.</summary>
    public string? Username { get; }

    /// <summary>The Basic password, for <see cref="FhirTestAuthKind.Basic"/>.</summary>
    public string? Password { get; }

    /// <summary>The static token, for <see cref="FhirTestAuthKind.Bearer"/>.</summary>
    public string? Token { get; }

    /// <summary>HTTP Basic (<c>Authorization: Basic base64(user:password)</c>).</summary>
    /// <param name="username">The user name; no colon.</param>
    /// <param name="password">The password.</param>
    public static FhirTestAuth Basic(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        if (username.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A Basic user name cannot contain ':'.", nameof(username));
        }

        return new FhirTestAuth(FhirTestAuthKind.Basic, username, password);
    }

    /// <summary>A static bearer token (<c>Authorization: Bearer token</c>).</summary>
    /// <param name="token">The token.</param>
    public static FhirTestAuth Bearer(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return new FhirTestAuth(FhirTestAuthKind.Bearer, token: token);
    }

    /// <inheritdoc />
    public override string ToString() => Kind.ToString();
}
