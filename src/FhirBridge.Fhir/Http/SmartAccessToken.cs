namespace FhirBridge.Fhir.Http;

/// <summary>A SMART access token and when to stop using it (shortly before it expires).</summary>
internal sealed class SmartAccessToken(string value, DateTimeOffset renewAt)
{
    public string Value { get; } = value;

    public DateTimeOffset RenewAt { get; } = renewAt;

    /// <summary>Never the token itself.</summary>
    public override string ToString() => $"access token (renew at {RenewAt:O})";
}
