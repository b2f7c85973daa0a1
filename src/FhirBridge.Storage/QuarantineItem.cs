namespace FhirBridge.Storage;

/// <summary>Input that was quarantined: where it came from and why (never its content).</summary>
public sealed record QuarantineItem(string Origin, string? ResourceType, string Reason)
{
    /// <summary>
    /// What identifies the input by content (<c>FhirBridge.Ingest.InputFingerprint</c>: a SHA-256 of its text, never
    /// the text). The store records an input once per (origin, reason, fingerprint), so a different bad input at the
    /// same origin with the same reason gets its own row; null on rows quarantined before fingerprints were kept.
    /// Hospital input: kept in the hospital's state store only, never logged or sent.
    /// </summary>
    public string? Fingerprint { get; init; }
}
