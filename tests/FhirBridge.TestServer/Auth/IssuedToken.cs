namespace FhirBridge.TestServer.Auth;

/// <summary>An access token the token endpoint handed out.</summary>
internal sealed record IssuedToken(string Value, string ClientId, string Scope, DateTimeOffset ExpiresAt);
