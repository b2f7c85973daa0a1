namespace FhirBridge.Storage;

/// <summary>Input that was quarantined: where it came from and why (never its content).</summary>
public sealed record QuarantineItem(string Origin, string? ResourceType, string Reason);
