using System.Globalization;
using System.Text.Json;
using FhirBridge.MappingLog;
using FhirBridge.Registry;
using static FhirBridge.Storage.StoreFormat;

namespace FhirBridge.Storage.Sqlite;

/// <summary>The read-only queries of the admin surface and its CLI equivalents (issue 5).</summary>
public sealed partial class SqliteStateStore
{
    // Filters on the stored entry JSON (camelCase, as InsertLogAsync writes it); each applies only when its parameter is set.
    private const string LogFilter = """
        FROM mapping_log
        WHERE ($source IS NULL OR source = $source)
          AND ($type IS NULL OR substr(json_extract(entry, '$.source'), 1, length($type) + 1) = $type || '/')
          AND ($decision IS NULL OR json_extract(entry, '$.decision') = $decision)
          AND ($reason IS NULL OR json_extract(entry, '$.reason') = $reason)
          AND ($code IS NULL OR EXISTS (SELECT 1 FROM json_each(entry, '$.codes') WHERE instr(value, $code) > 0))
          AND ($from IS NULL OR recorded_at >= $from)
          AND ($to IS NULL OR recorded_at < $to)
        """;

    /// <inheritdoc />
    public async Task<MappingLogPage> QueryMappingLogAsync(MappingLogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        void Bind(Microsoft.Data.Sqlite.SqliteCommand c)
        {
            c.Parameters.AddWithValue("$source", (object?)query.Source ?? DBNull.Value);
            c.Parameters.AddWithValue("$type", (object?)query.ResourceType ?? DBNull.Value);
            c.Parameters.AddWithValue("$decision", (object?)query.Decision ?? DBNull.Value);
            c.Parameters.AddWithValue("$reason", (object?)query.Reason ?? DBNull.Value);
            c.Parameters.AddWithValue("$code", (object?)query.Code ?? DBNull.Value);
            c.Parameters.AddWithValue("$from", (object?)FormatTime(query.From) ?? DBNull.Value);
            c.Parameters.AddWithValue("$to", (object?)FormatTime(query.To) ?? DBNull.Value);
            c.Parameters.AddWithValue("$n", query.Limit);
            c.Parameters.AddWithValue("$skip", query.Offset);
        }

        var total = await QueryAsync("SELECT COUNT(*) " + LogFilter + ";", Bind, r => r.GetInt32(0), cancellationToken);
        var records = await QueryAsync(
            "SELECT seq, source, recorded_at, entry " + LogFilter + " ORDER BY seq DESC LIMIT $n OFFSET $skip;",
            Bind,
            r => new MappingLogRecord(r.GetInt64(0), r.GetString(1), ParseTime(r.IsDBNull(2) ? null : r.GetString(2)), ReadEntry(r.GetString(3))),
            cancellationToken);
        return new MappingLogPage(total[0], records);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UnmappedCode>> GetUnmappedCodesAsync(int examples, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 0);

        // One row per code of each unmapped decision; grouped here rather than in SQL so the examples stay few and sorted.
        var rows = await QueryAsync(
            """
            SELECT c.value, m.source, json_extract(m.entry, '$.source')
            FROM mapping_log m, json_each(m.entry, '$.codes') c
            WHERE json_extract(m.entry, '$.decision') = $d;
            """,
            c => c.Parameters.AddWithValue("$d", Decision.Unmapped),
            r => (Code: r.GetString(0), SourceName: r.GetString(1), Resource: r.GetString(2)),
            cancellationToken);
        return UnmappedCode.Group(rows, examples);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Watermark>> GetWatermarksAsync(CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT source, key, value FROM watermarks ORDER BY source, key;",
            _ => { },
            r => new Watermark(r.GetString(0), r.GetString(1), r.GetString(2)),
            cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<SubjectSummary>> GetSubjectsAsync(CancellationToken cancellationToken)
    {
        // Read from the projection rather than judging every patient again: it holds each subject's ResearchSubject
        // and outcome Observation exactly as last handed to the registry, and is current as of each patient's last
        // recompute (a patient is recomputed when their data changes and again when an open window closes), so the
        // chart shows what the registry holds. One scan of the projection, joined here, so it stays linear in subjects.
        var rows = await QueryAsync(
            """
            SELECT source, subject_key, record_key,
                   json_extract(json, '$.assignedArm'), json_extract(json, '$.period.start'),
                   json_extract(json, '$.valueCodeableConcept.coding[0].code')
            FROM (SELECT source, subject_key, record_key, unpack(json) AS json FROM projection
                  WHERE record_key LIKE 'ResearchSubject|%' OR record_key LIKE 'Observation|%')
            WHERE record_key LIKE 'ResearchSubject|%' OR json_extract(json, '$.code.coding[0].code') = $outcome;
            """,
            c => c.Parameters.AddWithValue("$outcome", RegistryModel.OutcomeCode),
            r => (Source: r.GetString(0), Subject: r.GetString(1), Key: r.GetString(2),
                Arm: r.IsDBNull(3) ? null : r.GetString(3), Start: r.IsDBNull(4) ? null : r.GetString(4), Value: r.IsDBNull(5) ? null : r.GetString(5)),
            cancellationToken);
        return Subjects(rows);
    }
}
