using System.Globalization;
using System.Text.Json;
using FhirBridge.MappingLog;
using FhirBridge.Registry;
using Npgsql;
using static FhirBridge.Storage.StoreFormat;

namespace FhirBridge.Storage.Postgres;

/// <summary>The read-only queries of the admin surface and its CLI equivalents (issue 5), answering as SQLite's do.</summary>
public sealed partial class PostgresStateStore
{
    // Filters on the stored entry JSON (camelCase, as AddLog writes it); each applies only when its parameter is set.
    // The entry is text, parsed once per row here; codes that are not an array (never written so) match nothing.
    private const string LogFilter = """
        FROM mapping_log m CROSS JOIN LATERAL (SELECT m.entry::jsonb AS e) j
        WHERE ($1::text IS NULL OR m.source = $1)
          AND ($2::text IS NULL OR left(j.e ->> 'source', length($2) + 1) = $2 || '/')
          AND ($3::text IS NULL OR j.e ->> 'decision' = $3)
          AND ($4::text IS NULL OR j.e ->> 'reason' = $4)
          AND ($5::text IS NULL OR EXISTS (
                SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(j.e -> 'codes') = 'array' THEN j.e -> 'codes' END) AS c (code)
                WHERE strpos(c.code, $5) > 0))
          AND ($6::text IS NULL OR m.recorded_at >= $6)
          AND ($7::text IS NULL OR m.recorded_at < $7)
        """;

    /// <inheritdoc />
    public async Task<MappingLogPage> QueryMappingLogAsync(MappingLogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);

        // Parameters belong to one command, so each query gets its own set.
        List<NpgsqlParameter> Filters() =>
        [
            Text(query.Source), Text(query.ResourceType), Text(query.Decision), Text(query.Reason), Text(query.Code),
            Text(FormatTime(query.From)), Text(FormatTime(query.To)),
        ];

        var total = await QueryAsync("SELECT COUNT(*)::integer " + LogFilter + ";", Filters(), r => r.GetInt32(0), cancellationToken);
        var records = await QueryAsync(
            "SELECT m.seq, m.source, m.recorded_at, m.entry " + LogFilter + " ORDER BY m.seq DESC LIMIT $8 OFFSET $9;",
            [.. Filters(), Limit(query.Limit), Bigint(query.Offset)],
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
            SELECT c.code, m.source, j.e ->> 'source'
            FROM mapping_log m
                CROSS JOIN LATERAL (SELECT m.entry::jsonb AS e) j
                CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(j.e -> 'codes') = 'array' THEN j.e -> 'codes' END) AS c (code)
            WHERE j.e ->> 'decision' = $1;
            """,
            [Text(Decision.Unmapped)],
            r => (Code: r.GetString(0), SourceName: r.GetString(1), Resource: r.GetString(2)),
            cancellationToken);
        return UnmappedCode.Group(rows, examples);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Watermark>> GetWatermarksAsync(CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT source, key, value FROM watermarks ORDER BY source, key;",
            [],
            r => new Watermark(r.GetString(0), r.GetString(1), r.GetString(2)),
            cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<SubjectSummary>> GetSubjectsAsync(CancellationToken cancellationToken)
    {
        // From the projection, as SqliteStateStore.GetSubjectsAsync explains: what the registry was last handed.
        // LIKE is case-sensitive here and not in SQLite; the prefixes are checked case-sensitively below either way.
        var rows = await QueryAsync(
            """
            SELECT p.source, p.subject_key, p.record_key,
                   j.d ->> 'assignedArm', j.d #>> '{period,start}', j.d #>> '{valueCodeableConcept,coding,0,code}'
            FROM projection p CROSS JOIN LATERAL (SELECT p.json::jsonb AS d) j
            WHERE p.record_key LIKE 'ResearchSubject|%'
               OR (p.record_key LIKE 'Observation|%' AND j.d #>> '{code,coding,0,code}' = $1);
            """,
            [Text(RegistryModel.OutcomeCode)],
            r => (Source: r.GetString(0), Subject: r.GetString(1), Key: r.GetString(2),
                Arm: r.IsDBNull(3) ? null : r.GetString(3), Start: r.IsDBNull(4) ? null : r.GetString(4), Value: r.IsDBNull(5) ? null : r.GetString(5)),
            cancellationToken);
        return Subjects(rows);
    }
}
