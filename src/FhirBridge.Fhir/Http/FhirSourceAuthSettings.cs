namespace FhirBridge.Fhir.Http;

/// <summary>
/// A source's credentials. Every secret is given either as a value or as a file (read when first needed, trimmed); neither
/// ever appears in a log line, an exception message or <see cref="ToString"/>.
/// </summary>
public sealed record FhirSourceAuthSettings
{
    /// <summary>The kind of authentication. Default <see cref="FhirSourceAuthKind.None"/>.</summary>
    public FhirSourceAuthKind Kind { get; init; } = FhirSourceAuthKind.None;

    /// <summary>Basic: the user name.</summary>
    public string? Username { get; init; }

    /// <summary>Basic: the password (secret).</summary>
    public string? Password { get; init; }

    /// <summary>Basic: a file holding the password, used when <see cref="Password"/> is empty.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>Bearer: the token (secret).</summary>
    public string? Token { get; init; }

    /// <summary>Bearer: a file holding the token, used when <see cref="Token"/> is empty.</summary>
    public string? TokenFile { get; init; }

    /// <summary>SMART: the client id, sent as the assertion's <c>iss</c> and <c>sub</c>.</summary>
    public string? ClientId { get; init; }

    /// <summary>SMART: the token endpoint; default: <c>token_endpoint</c> of <c>{base}.well-known/smart-configuration</c>.</summary>
    public Uri? TokenUrl { get; init; }

    /// <summary>
    /// SMART: a PEM file with the private key (secret): RSA (signs RS384) or EC P-384 (signs ES384), PKCS#1, SEC1 or
    /// unencrypted PKCS#8. Read at every token request, so a rotated key is picked up without a restart.
    /// </summary>
    public string? PrivateKeyFile { get; init; }

    /// <summary>SMART: the key id sent as the JWT header's <c>kid</c>, when the server needs it. Default none.</summary>
    public string? KeyId { get; init; }

    /// <summary>SMART: the scopes asked for. Default <c>system/*.read</c>.</summary>
    public string Scopes { get; init; } = "system/*.read";

    /// <summary>Names the kind and the non-secret settings only.</summary>
    public override string ToString() => Kind switch
    {
        FhirSourceAuthKind.Basic => $"Basic (user {Username}, password {(PasswordFile is null ? "given" : "from a file")})",
        FhirSourceAuthKind.Bearer => $"Bearer (token {(TokenFile is null ? "given" : "from a file")})",
        FhirSourceAuthKind.SmartBackend => $"SmartBackend (client {ClientId}, token URL {TokenUrl?.ToString() ?? "discovered"}, scopes {Scopes})",
        _ => Kind.ToString(),
    };
}
