namespace FhirBridge.Storage;

/// <summary>A source's watermark (per resource type for REST, the last transaction time for Bulk Data).</summary>
/// <param name="SourceName">The configured source.</param>
/// <param name="Key">What it marks, e.g. <c>Procedure</c>.</param>
/// <param name="Value">Its value as stored (an instant for REST and Bulk Data).</param>
public sealed record Watermark(string SourceName, string Key, string Value);
