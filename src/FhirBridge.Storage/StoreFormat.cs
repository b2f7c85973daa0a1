using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using FhirBridge.MappingLog;
using FhirBridge.Reconcile;

namespace FhirBridge.Storage;

/// <summary>
/// What both stores write and read alike: how times and mapping-log entries are stored, which columns make an outbox
/// item, and the grouping done after a query. One definition, so the SQLite and PostgreSQL stores give the same answers
/// by construction rather than by two copies kept in step.
/// </summary>
internal static class StoreFormat
{
    /// <summary>How mapping-log entries are stored.</summary>
    public static readonly JsonSerializerOptions LogJson = new(JsonSerializerDefaults.Web);

    /// <summary>Resource types shared by a source's patients: a new version marks every patient dirty.</summary>
    public static readonly HashSet<string> SharedTypes = ["Location", "Organization"];

    /// <summary>The mapping_log.patient value of shared-resource entries: not a patient id (ids never contain spaces).</summary>
    public const string SharedLogScope = "(shared resources)";

    /// <summary>The columns <see cref="ReadOutbox"/> reads, in its order.</summary>
    public const string OutboxColumns =
        "id, source, patient, subject_key, bundle, attempts, state, last_error, created_at, last_attempt_at, sent_at, dead_at, replay_of, replayed_by, checked_by, replayed_at";

    /// <summary>A time as stored: fixed-width UTC text with 100 ns ticks, so text order is time order.</summary>
    public static string? FormatTime(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A stored time.</summary>
    public static DateTimeOffset? ParseTime(string? text) =>
        text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>An outbox item from a row of <see cref="OutboxColumns"/>.</summary>
    /// <remarks>The SQLite store keeps the Bundle packed (<see cref="Sqlite.PackedText"/>); a text column, PostgreSQL's or an older SQLite row, reads as it is.</remarks>
    public static OutboxItem ReadOutbox(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), Sqlite.PackedText.Read(r, 4), r.GetInt32(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7))
        {
            CreatedAt = ParseTime(r.IsDBNull(8) ? null : r.GetString(8)),
            LastAttemptAt = ParseTime(r.IsDBNull(9) ? null : r.GetString(9)),
            SentAt = ParseTime(r.IsDBNull(10) ? null : r.GetString(10)),
            DeadAt = ParseTime(r.IsDBNull(11) ? null : r.GetString(11)),
            ReplayOf = r.IsDBNull(12) ? null : r.GetInt64(12),
            ReplayedBy = r.IsDBNull(13) ? null : r.GetInt64(13),
            CheckedBy = r.IsDBNull(14) ? null : r.GetString(14),
            ReplayedAt = ParseTime(r.IsDBNull(15) ? null : r.GetString(15)),
        };

    /// <summary>The rows a change set retracts, as kept in outbox.retracted (null when none).</summary>
    public static string? WriteRetracted(IReadOnlyList<ProjectedRecord> rows) =>
        rows.Count == 0 ? null : JsonSerializer.Serialize(rows, LogJson);

    /// <summary>Rows written by <see cref="WriteRetracted"/>.</summary>
    public static IReadOnlyList<ProjectedRecord> ReadRetracted(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<ProjectedRecord>>(json, LogJson) ?? [];

    /// <summary>A stored mapping-log entry; the message gives its length, never its content.</summary>
    public static MappingLogEntry ReadEntry(string json) =>
        JsonSerializer.Deserialize<MappingLogEntry>(json, LogJson)
        ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"a mapping_log entry is not JSON: {json.Length} characters"));

    /// <summary>
    /// Subjects from the projection's ResearchSubject rows (with arm and start) and outcome Observation rows (with the
    /// value), sorted by source, index start and subject.
    /// </summary>
    public static IReadOnlyList<SubjectSummary> Subjects(IReadOnlyList<(string Source, string Subject, string Key, string? Arm, string? Start, string? Value)> rows)
    {
        var outcomes = rows
            .Where(r => r.Key.StartsWith("Observation|", StringComparison.Ordinal) && r.Value is not null)
            .GroupBy(r => (r.Source, r.Subject))
            .ToDictionary(g => g.Key, g => g.First().Value);
        return [.. rows
            .Where(r => r.Key.StartsWith("ResearchSubject|", StringComparison.Ordinal) && r.Start is not null)

            // Two patients hold a subject for a moment when its operation moved between them (docs/registry.md).
            .DistinctBy(r => (r.Source, r.Subject))
            .Select(r => new SubjectSummary(r.Source, r.Subject, r.Arm ?? "unclassified", r.Start!, outcomes.GetValueOrDefault((r.Source, r.Subject))))
            .OrderBy(s => s.SourceName, StringComparer.Ordinal)
            .ThenBy(s => s.IndexStart, StringComparer.Ordinal)
            .ThenBy(s => s.SubjectKey, StringComparer.Ordinal)];
    }
}
