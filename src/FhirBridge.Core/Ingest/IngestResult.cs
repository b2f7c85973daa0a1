using FhirBridge.Timeline;

namespace FhirBridge.Ingest;

/// <summary>One input resource after INGEST: its projected record, or the reason it was quarantined.</summary>
/// <param name="Origin">Where it came from: <c>file:line</c> for NDJSON, <c>file#entry[i]</c> for a Bundle entry, else the file.</param>
/// <param name="ResourceType">Its resourceType, when it could be read.</param>
/// <param name="Record">The timeline record (see <see cref="RecordProjector"/>), or null for types the rules do not read and for quarantined input.</param>
/// <param name="QuarantineReason">Why it was quarantined; null when accepted.</param>
public sealed record IngestResult(string Origin, string? ResourceType, ITimelineRecord? Record, string? QuarantineReason)
{
    /// <summary>The accepted resource's id.</summary>
    public string? Id { get; init; }

    /// <summary>The accepted resource's <c>meta.versionId</c>.</summary>
    public string? VersionId { get; init; }

    /// <summary>The accepted resource's <c>meta.lastUpdated</c>.</summary>
    public DateTimeOffset? LastUpdated { get; init; }

    /// <summary>The id of the patient the accepted resource belongs to; null for shared resources (Location, Organization).</summary>
    public string? Patient { get; init; }

    /// <summary>The accepted resource as JSON (the line as received, or the Bundle entry re-serialized), for the state store.</summary>
    public string? Json { get; init; }

    /// <summary>
    /// For quarantined input, what identifies it by content (<see cref="InputFingerprint"/>), so the store records a
    /// different bad input met at the same origin with the same reason; null when accepted. For the state store only.
    /// </summary>
    public string? Fingerprint { get; init; }

    /// <summary>True when the input was quarantined.</summary>
    public bool IsQuarantined => QuarantineReason is not null;
}
