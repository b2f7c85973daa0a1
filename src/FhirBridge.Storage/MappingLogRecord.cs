using FhirBridge.MappingLog;

namespace FhirBridge.Storage;

/// <summary>One stored mapping-log decision.</summary>
/// <param name="Seq">Its position in the log (newer entries have higher numbers).</param>
/// <param name="SourceName">The configured source it came from.</param>
/// <param name="RecordedAt">When it was recorded; null for entries stored before schema version 3.</param>
/// <param name="Entry">The decision with its evidence.</param>
public sealed record MappingLogRecord(long Seq, string SourceName, DateTimeOffset? RecordedAt, MappingLogEntry Entry);
