using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FhirBridge.MappingLog;
using FhirBridge.Reconcile;
using FhirBridge.Timeline;
using Npgsql;
using NpgsqlTypes;
using static FhirBridge.Storage.StoreFormat;

namespace FhirBridge.Storage.Postgres;

/// <summary>
/// The store for coordinating centres that run several FhirBridge instances against one PostgreSQL database. The same
/// contract, and the same answers, as <see cref="Sqlite.SqliteStateStore"/>: every change in one transaction, and where
/// SQLite relies on having one writer at a time, a transaction-scoped advisory lock makes the instances take turns
/// (ingests of one source, recomputes of one patient, migrations).
/// </summary>
public sealed partial class PostgresStateStore : IStateStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _lockSource;
    private readonly TimeProvider _clock;

    /// <summary>Creates the store over a database (its schema created on migrate), on the system clock.</summary>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=fhirbridge;Username=fhirbridge;Password=...</c>.</param>
    public PostgresStateStore(string connectionString)
        : this(connectionString, TimeProvider.System)
    {
    }

    /// <summary>Creates the store over a database (its schema created on migrate).</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="clock">Stamps outbox items (queued, sent, dead) and mapping-log entries.</param>
    public PostgresStateStore(string connectionString, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _dataSource = NpgsqlDataSource.Create(connectionString);

        // A named lock lives as long as its session, so it gets a connection of its own that is closed on release:
        // returned to a pool instead, the lock would stay held by an idle connection.
        _lockSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false });
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        // The schema table, not just "SELECT 1": an unmigrated database must fail too.
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        _ = await ScalarAsync(connection, null, "SELECT COUNT(*) FROM schema_version;", [], cancellationToken);
    }

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        // Several instances may start at once against an empty database: one migrates while the others wait for it,
        // then find the work done. The lock comes before CREATE TABLE IF NOT EXISTS, which is not safe concurrently.
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1);", [Bigint(StableKey("migrate", "schema"))], cancellationToken);
        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);", [], cancellationToken);
        var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version;", [], cancellationToken), CultureInfo.InvariantCulture);
        for (var v = current; v < PostgresSchema.Migrations.Count; v++)
        {
            await ExecuteAsync(connection, tx, PostgresSchema.Migrations[v], [], cancellationToken);
            await ExecuteAsync(connection, tx, "INSERT INTO schema_version (version) VALUES ($1);", [Integer(v + 1)], cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IngestOutcome> IngestAsync(string source, IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        // Ingests of one source take turns across instances, so "newer than the one held" is judged against what is
        // really held, as with SQLite's single writer.
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1);", [Bigint(StableKey("ingest", source))], cancellationToken);

        // The versions held for the batch's resources, in one round trip; then judged in batch order, each against
        // the one held or the one this batch stored before it, as SQLite's row-by-row reads do.
        var held = new Dictionary<(string Type, string Id), SourceRef>();
        var heldPatients = new Dictionary<(string Type, string Id), string?>();
        if (batch.Resources.Count > 0)
        {
            var keys = batch.Resources.Select(r => (r.Type, r.Id)).Distinct().ToArray();
            var rows = await QueryAsync(
                connection,
                tx,
                """
                SELECT r.type, r.id, r.version_id, r.last_updated, r.patient
                FROM resources r JOIN unnest($2::text[], $3::text[]) AS k (type, id) ON r.type = k.type AND r.id = k.id
                WHERE r.source = $1;
                """,
                [Text(source), TextArray([.. keys.Select(k => k.Type)]), TextArray([.. keys.Select(k => k.Id)])],
                r => (Ref: new SourceRef(new ResourceKey(r.GetString(0), r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), ParseTime(r.IsDBNull(3) ? null : r.GetString(3))), Patient: r.IsDBNull(4) ? null : r.GetString(4)),
                cancellationToken);
            foreach (var (row, patient) in rows)
            {
                held[(row.Key.Type, row.Key.Id)] = row;
                heldPatients[(row.Key.Type, row.Key.Id)] = patient;
            }
        }

        int stored = 0, unchanged = 0;
        var newest = new Dictionary<(string Type, string Id), StoredResource>();
        var dirty = new HashSet<string>(StringComparer.Ordinal);
        var sharedChanged = false;
        foreach (var r in batch.Resources)
        {
            // spec, "Versions": keep the highest versionId, then the latest lastUpdated; an equal version is already held.
            var incoming = new SourceRef(new ResourceKey(r.Type, r.Id), r.VersionId, r.LastUpdated);
            if (held.TryGetValue((r.Type, r.Id), out var current) && !incoming.IsNewerThan(current))
            {
                unchanged++;
                continue;
            }

            held[(r.Type, r.Id)] = incoming;
            newest[(r.Type, r.Id)] = r;
            stored++;
            if (r.Patient is not null)
            {
                dirty.Add(r.Patient);
            }
            else if (SharedTypes.Contains(r.Type))
            {
                sharedChanged = true;
            }

            // A resource moved to another patient (a wrong-patient correction) changes the patient it left as well.
            if (heldPatients.GetValueOrDefault((r.Type, r.Id)) is { } heldPatient && heldPatient != r.Patient)
            {
                dirty.Add(heldPatient);
            }

            heldPatients[(r.Type, r.Id)] = r.Patient;
        }

        if (sharedChanged)
        {
            // A Location's or Organization's type can change any patient's setting or department. The patients of
            // resources stored in this batch are already in the set.
            var patients = await QueryAsync(
                connection,
                tx,
                "SELECT DISTINCT patient FROM resources WHERE source = $1 AND patient IS NOT NULL ORDER BY patient;",
                [Text(source)],
                r => r.GetString(0),
                cancellationToken);
            dirty.UnionWith(patients);
        }

        await using var write = new NpgsqlBatch(connection, tx);
        foreach (var r in newest.Values)
        {
            write.BatchCommands.Add(Statement(
                """
                INSERT INTO resources (source, type, id, version_id, last_updated, patient, json) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (source, type, id) DO UPDATE
                SET version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated, patient = EXCLUDED.patient, json = EXCLUDED.json;
                """,
                Text(source), Text(r.Type), Text(r.Id), Text(r.VersionId), Text(FormatTime(r.LastUpdated)), Text(r.Patient), Text(r.Json)));
        }

        // The same bad input met again (its file changed and was read again, a page fetched again) is recorded once;
        // a different one at the same origin with the same reason is not the same input (its fingerprint differs).
        // A row without a fingerprint (quarantined before migration 5) matches only an item without one.
        foreach (var q in batch.Quarantined)
        {
            write.BatchCommands.Add(Statement(
                """
                INSERT INTO quarantine (source, origin, resource_type, reason, fingerprint) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (source, origin, md5(reason), coalesce(fingerprint, '')) DO NOTHING;
                """,
                Text(source), Text(q.Origin), Text(q.ResourceType), Text(q.Reason), Text(q.Fingerprint)));
        }

        foreach (var patient in dirty)
        {
            write.BatchCommands.Add(Statement(
                MarkDirty,
                Text(source), Text(patient)));
        }

        AddPairs(write, "watermarks", "key", "value", source, batch.Watermarks);
        AddPairs(write, "files", "path", "fingerprint", source, batch.Files);
        if (write.BatchCommands.Count > 0)
        {
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new IngestOutcome(stored, unchanged, batch.Quarantined.Count, dirty.Count);
    }

    /// <inheritdoc />
    public Task<string?> GetWatermarkAsync(string source, string key, CancellationToken cancellationToken) =>
        SingleStringAsync("SELECT value FROM watermarks WHERE source = $1 AND key = $2;", source, key, cancellationToken);

    /// <inheritdoc />
    public Task<string?> GetFileFingerprintAsync(string source, string path, CancellationToken cancellationToken) =>
        SingleStringAsync("SELECT fingerprint FROM files WHERE source = $1 AND path = $2;", source, path, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<DirtyPatient>> GetDirtyPatientsAsync(string source, int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT patient, generation FROM dirty WHERE source = $1 ORDER BY seq LIMIT $2;",
            [Text(source), Limit(limit)],
            r => new DirtyPatient(r.GetString(0), r.GetInt64(1)),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetPatientsToJudgeAgainAsync(string source, DateTimeOffset asOf, CancellationToken cancellationToken) =>
        QueryAsync(
            """
            SELECT patient FROM projection WHERE source = $1 AND open_until IS NOT NULL AND open_until <= $2
            UNION SELECT patient FROM detections WHERE source = $1 AND judge_again_at IS NOT NULL AND judge_again_at <= $2
            ORDER BY patient;
            """,
            [Text(source), Text(FormatTime(asOf))],
            r => r.GetString(0),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredResource>> GetPatientResourcesAsync(string source, string patient, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT type, id, version_id, last_updated, patient, json FROM resources WHERE source = $1 AND patient = $2 ORDER BY type, id;",
            [Text(source), Text(patient)],
            ReadResource,
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, IReadOnlyList<StoredResource>>> GetPatientsResourcesAsync(string source, IReadOnlyCollection<string> patients, CancellationToken cancellationToken) =>
        QueryByPatientAsync(
            "SELECT type, id, version_id, last_updated, patient, json, patient FROM resources WHERE source = $1 AND patient = ANY($2) ORDER BY patient, type, id;",
            source,
            patients,
            ReadResource,
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredResource>> GetSharedResourcesAsync(string source, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT type, id, version_id, last_updated, patient, json FROM resources WHERE source = $1 AND patient IS NULL AND type IN ('Location', 'Organization') ORDER BY type, id;",
            [Text(source)],
            ReadResource,
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetPatientIdsAsync(string source, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT DISTINCT patient FROM resources WHERE source = $1 AND patient IS NOT NULL ORDER BY patient;",
            [Text(source)],
            r => r.GetString(0),
            cancellationToken);

    /// <inheritdoc />
    public async Task<PatientProjection> GetProjectionAsync(string source, string patient, CancellationToken cancellationToken) =>
        (await GetProjectionsAsync(source, [patient], cancellationToken))[patient];

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, PatientProjection>> GetProjectionsAsync(string source, IReadOnlyCollection<string> patients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var records = new Dictionary<string, List<ProjectedRecord>>(patients.Count, StringComparer.Ordinal);
        foreach (var patient in patients)
        {
            records.TryAdd(patient, []);
        }

        var versions = new Dictionary<string, long>(records.Count, StringComparer.Ordinal);
        if (records.Count > 0)
        {
            // One statement, so one snapshot: each version read is the one of the rows read with it. A patient without
            // rows comes back once, with nulls for the record.
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = Command(connection, null, """
                SELECT p.record_key, p.subject_key, p.hash, p.json, p.open_until, COALESCE(v.version, 0), asked.patient, p.origin
                FROM unnest($2::text[]) AS asked (patient)
                LEFT JOIN projection_versions AS v ON v.source = $1 AND v.patient = asked.patient
                LEFT JOIN projection AS p ON p.source = $1 AND p.patient = asked.patient
                ORDER BY asked.patient, p.record_key;
                """, [Text(source), TextArray([.. records.Keys])]);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var patient = reader.GetString(6);
                versions[patient] = reader.GetInt64(5);
                if (!reader.IsDBNull(0))
                {
                    records[patient].Add(ReadProjected(reader));
                }
            }
        }

        return records.ToDictionary(e => e.Key, e => new PatientProjection(e.Value, versions.GetValueOrDefault(e.Key)), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public Task CommitRecomputeAsync(
        string source,
        string patient,
        long? generation,
        IReadOnlyList<ProjectedRecord> projection,
        IReadOnlyList<QueuedChangeSet> changeSets,
        IReadOnlyList<MappingLogEntry> log,
        CancellationToken cancellationToken) =>
        CommitRecomputesAsync(source, [new RecomputeCommit(patient, generation, projection, changeSets, log, null)], cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<RecomputeCommit>> CommitRecomputesAsync(string source, IReadOnlyList<RecomputeCommit> commits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commits);
        if (commits.Count == 0)
        {
            return [];
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        // Two instances recomputing one patient take turns: each replaces the other's projection whole, instead of
        // both deleting it and then colliding on its keys, and the second sees the version the first advanced. Locks
        // are taken in patient order, so two batches sharing patients cannot wait on each other in a cycle.
        foreach (var patient in commits.Select(c => c.Patient).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1);", [Bigint(StableKey("recompute", source, patient))], cancellationToken);
        }

        // One round trip; batch statements run in order, so outbox ids and log positions follow the lists' order. Whether
        // a commit is applied is known only as the batch runs (a hand-over earlier in it may take records from a later
        // patient), so its first statement checks and advances the patient's projection version under the lock and
        // records the outcome in a transaction-local setting, and every other statement of the commit is guarded by it.
        await using var write = new NpgsqlBatch(connection, tx);
        var now = FormatTime(_clock.GetUtcNow());
        var droppedMarks = new List<(RecomputeCommit Commit, NpgsqlBatchCommand Mark)>(commits.Count);
        foreach (var commit in commits)
        {
            var patient = commit.Patient;

            // A patient without a version row was never committed (rows are never deleted), so was read at 0. An update
            // waits for an instance's hand-over that holds the row, then checks the version it left.
            write.BatchCommands.Add(Statement(
                """
                WITH advanced AS (
                    INSERT INTO projection_versions (source, patient, version) VALUES ($1, $2, 1)
                    ON CONFLICT (source, patient) DO UPDATE SET version = projection_versions.version + 1
                    WHERE $3::bigint IS NULL OR projection_versions.version = $3
                    RETURNING 1)
                SELECT set_config('fhirbridge.commit_applied', (EXISTS (SELECT FROM advanced))::text, true);
                """,
                Text(source), Text(patient), NullableBigint(commit.ProjectionVersion)));

            // Dropped: nothing below is written, and the patient is judged again from what is held now.
            var mark = Statement(
                """
                INSERT INTO dirty (source, patient, generation) SELECT $1, $2, 1 WHERE current_setting('fhirbridge.commit_applied') = 'false'
                ON CONFLICT (source, patient) DO UPDATE SET generation = dirty.generation + 1;
                """,
                Text(source), Text(patient));
            write.BatchCommands.Add(mark);
            droppedMarks.Add((commit, mark));

            if (!commit.ProjectionUnchanged)
            {
                string[] kept = [.. commit.Projection.Select(r => r.RecordKey)];

                // The patient's projection is replaced. First, the records this patient held and no longer has that
                // another patient holds now (a resource moved between patients, docs/registry.md): both change sets
                // were made from the state before, so this one's retraction is queued after the other's addition. The
                // other patient loses those rows and is marked dirty, so their next recompute sends the records
                // again, after the retraction; their version advances, so a commit of theirs computed from the rows
                // they had is dropped. That patient is the one the record's origin belongs to now (as SQLite's
                // HandOver: through the resources' and the projection's primary keys, no index on the random record
                // keys); a row stored before origins were kept (migration 9) is looked up by its key, and a one-time
                // filter keeps that scan from running for a patient who has no such row. Their version rows are locked
                // first, in patient order: an instance committing one of them finishes before the rows are read, so
                // rows it writes are handed over too. Driven by the rows deleted, so most patients look nothing up.
                write.BatchCommands.Add(Statement(
                    """
                    SELECT 1 FROM projection_versions
                    WHERE source = $1 AND current_setting('fhirbridge.commit_applied') = 'true' AND patient IN (
                        SELECT owner.patient FROM projection AS mine
                        JOIN resources AS owner ON owner.source = mine.source AND owner.type = split_part(mine.origin, '/', 1) AND owner.id = split_part(mine.origin, '/', 2)
                        WHERE mine.source = $1 AND mine.patient = $2 AND NOT (mine.record_key = ANY($3)) AND owner.patient <> $2
                        UNION
                        SELECT other.patient FROM projection AS mine
                        JOIN projection AS other ON other.source = mine.source AND other.record_key = mine.record_key AND other.patient <> mine.patient
                        WHERE mine.source = $1 AND mine.patient = $2 AND mine.origin IS NULL AND NOT (mine.record_key = ANY($3))
                            AND EXISTS (SELECT FROM projection AS old WHERE old.source = $1 AND old.patient = $2 AND old.origin IS NULL))
                    ORDER BY patient
                    FOR UPDATE;
                    """,
                    Text(source), Text(patient), TextArray(kept)));
                write.BatchCommands.Add(Statement(
                    """
                    WITH held AS (
                        DELETE FROM projection WHERE source = $1 AND patient = $2 AND current_setting('fhirbridge.commit_applied') = 'true'
                        RETURNING record_key, origin),
                    gone AS (SELECT record_key, origin FROM held WHERE NOT (record_key = ANY($3))),
                    taken_from_owner AS (
                        DELETE FROM projection AS other
                        USING gone JOIN resources AS owner ON owner.source = $1 AND owner.type = split_part(gone.origin, '/', 1) AND owner.id = split_part(gone.origin, '/', 2)
                        WHERE other.source = $1 AND other.patient = owner.patient AND other.record_key = gone.record_key AND other.patient <> $2
                        RETURNING other.patient),
                    taken_by_key AS (
                        DELETE FROM projection AS other USING gone
                        WHERE gone.origin IS NULL AND other.source = $1 AND other.record_key = gone.record_key AND other.patient <> $2
                            AND EXISTS (SELECT FROM gone AS old WHERE old.origin IS NULL)
                        RETURNING other.patient),
                    taken AS (SELECT patient FROM taken_from_owner UNION ALL SELECT patient FROM taken_by_key),
                    advanced AS (
                        INSERT INTO projection_versions (source, patient, version) SELECT DISTINCT $1, patient, 1 FROM taken
                        ON CONFLICT (source, patient) DO UPDATE SET version = projection_versions.version + 1)
                    INSERT INTO dirty (source, patient, generation) SELECT DISTINCT $1, patient, 1 FROM taken
                    ON CONFLICT (source, patient) DO UPDATE SET generation = dirty.generation + 1;
                    """,
                    Text(source), Text(patient), TextArray(kept)));
                foreach (var record in commit.Projection)
                {
                    write.BatchCommands.Add(Statement(
                        $"INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until, origin) SELECT $1, $2, $3, $4, $5, $6, $7, $8 {IfApplied};",
                        Text(source), Text(patient), Text(record.RecordKey), Text(record.SubjectKey), Text(record.Hash), Text(record.Json), Text(FormatTime(record.OpenUntil)), Text(record.Origin)));
                }
            }

            write.BatchCommands.Add(Statement($"DELETE FROM mapping_log WHERE source = $1 AND patient = $2 AND {Applied};", Text(source), Text(patient)));
            write.BatchCommands.Add(Statement($"DELETE FROM detections WHERE source = $1 AND patient = $2 AND {Applied};", Text(source), Text(patient)));

            foreach (var changeSet in commit.ChangeSets)
            {
                write.BatchCommands.Add(Statement(
                    $"INSERT INTO outbox (source, patient, subject_key, bundle, created_at, checked_by, retracted) SELECT $1, $2, $3, $4, $5, $6, $7 {IfApplied};",
                    Text(source), Text(patient), Text(changeSet.SubjectKey), Text(changeSet.Bundle), Text(now), Text(changeSet.CheckedBy), Text(WriteRetracted(changeSet.Retracted))));
            }

            AddLog(write, source, patient, commit.Log, now!, IfApplied);
            if (commit.Detection is { } json)
            {
                write.BatchCommands.Add(Statement(
                    $"INSERT INTO detections (source, patient, json, judge_again_at) SELECT $1, $2, $3, $4 {IfApplied};",
                    Text(source), Text(patient), Text(json), Text(FormatTime(commit.JudgeAgainAt))));
            }

            if (commit.Generation is { } g)
            {
                // Only if nothing arrived for this patient since we read them: otherwise they stay dirty for the next pass.
                write.BatchCommands.Add(Statement($"DELETE FROM dirty WHERE source = $1 AND patient = $2 AND generation = $3 AND {Applied};", Text(source), Text(patient), Bigint(g)));
            }
        }

        await write.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return [.. droppedMarks.Where(d => d.Mark.RecordsAffected > 0).Select(d => d.Commit)];
    }

    // A patient to be recomputed ($1 source, $2 patient): a new mark, or the generation advanced, so a recompute that read
    // the older mark leaves it in place when it commits.
    private const string MarkDirty = "INSERT INTO dirty (source, patient, generation) VALUES ($1, $2, 1) ON CONFLICT (source, patient) DO UPDATE SET generation = dirty.generation + 1;";

    // The outcome of the commit's version check, set by its first statement (CommitRecomputesAsync).
    private const string Applied = "current_setting('fhirbridge.commit_applied') = 'true'";

    private const string IfApplied = "WHERE " + Applied;

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredDetection> GetDetectionsAsync(string source, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT patient, json FROM detections WHERE source = $1 ORDER BY patient;", connection);
        command.Parameters.Add(Text(source));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredDetection(reader.GetString(0), reader.GetString(1));
        }
    }

    /// <inheritdoc />
    public async Task ReplaceSharedLogAsync(string source, IReadOnlyList<MappingLogEntry> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1);", [Bigint(StableKey("recompute", source, SharedLogScope))], cancellationToken);
        await using var write = new NpgsqlBatch(connection, tx);
        write.BatchCommands.Add(Statement("DELETE FROM mapping_log WHERE source = $1 AND patient = $2;", Text(source), Text(SharedLogScope)));
        AddLog(write, source, SharedLogScope, log, FormatTime(_clock.GetUtcNow())!);
        await write.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxItem>> GetPendingOutboxAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE state = 'pending' ORDER BY id LIMIT $1;",
            [Limit(limit)],
            ReadOutbox,
            cancellationToken);

    /// <inheritdoc />
    public Task MarkOutboxSentAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        ids.Count == 0
            ? Task.CompletedTask
            : ExecuteAsync(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL, last_attempt_at = $2, sent_at = $2 WHERE id = ANY($1);",
                [Bigints(ids), Text(FormatTime(_clock.GetUtcNow()))],
                cancellationToken);

    /// <inheritdoc />
    public async Task MarkOutboxFailedAsync(long id, string failure, bool dead, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var marked = await QueryAsync(
            connection,
            tx,
            """
            UPDATE outbox SET state = CASE WHEN $3 THEN 'dead' ELSE state END, attempts = attempts + 1, last_error = $2,
                last_attempt_at = $4, dead_at = CASE WHEN $3 THEN $4 ELSE dead_at END
            WHERE id = $1
            RETURNING source, patient, subject_key, retracted;
            """,
            [Bigint(id), Text(failure), Bool(dead), Text(FormatTime(_clock.GetUtcNow()))],
            r => (Source: r.GetString(0), Patient: r.GetString(1), SubjectKey: r.GetString(2), Retracted: r.IsDBNull(3) ? null : r.GetString(3)),
            cancellationToken);
        if (dead && marked.Count == 1)
        {
            var (source, patient, subjectKey, retracted) = marked[0];
            await DoubtProjectionAsync(connection, tx, source, patient, subjectKey, ReadRetracted(retracted), cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    // A change set the registry refused for good (docs/registry.md, "Dead letters"): the projection had assumed the
    // registry would apply it. The subject's rows lose their hashes, so the patient's next recompute sends them again
    // (what the registry holds of them is not known), and the rows the change set retracted come back, so that
    // recompute retracts them again (the registry still holds them), unless the patient holds those records again.
    // Under the patient's recompute lock, as a commit of that patient would take it.
    private static async Task DoubtProjectionAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string source, string patient, string subjectKey, IReadOnlyList<ProjectedRecord> retracted, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1);", [Bigint(StableKey("recompute", source, patient))], cancellationToken);
        await ExecuteAsync(connection, tx, "UPDATE projection SET hash = '' WHERE source = $1 AND patient = $2 AND subject_key = $3;", [Text(source), Text(patient), Text(subjectKey)], cancellationToken);

        // The projection changes, so its version advances: a recompute of the patient computed before (its commit still
        // to come) is dropped instead of writing the doubted rows back.
        await ExecuteAsync(
            connection,
            tx,
            "INSERT INTO projection_versions (source, patient, version) VALUES ($1, $2, 1) ON CONFLICT (source, patient) DO UPDATE SET version = projection_versions.version + 1;",
            [Text(source), Text(patient)],
            cancellationToken);
        foreach (var row in retracted)
        {
            await ExecuteAsync(
                connection,
                tx,
                """
                INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (source, patient, record_key) DO NOTHING;
                """,
                [Text(source), Text(patient), Text(row.RecordKey), Text(row.SubjectKey), Text(row.Hash), Text(row.Json), Text(FormatTime(row.OpenUntil)), Text(row.Origin)],
                cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, int>> GetOutboxCountsAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("SELECT state, COUNT(*)::integer FROM outbox GROUP BY state;", [], r => (r.GetString(0), r.GetInt32(1)), cancellationToken);
        return rows.ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public async Task<int> CountDeadLettersToReplayAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT COUNT(*)::integer FROM outbox WHERE state = 'dead' AND replayed_by IS NULL AND replayed_at IS NULL;", [], r => r.GetInt32(0), cancellationToken))[0];

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxItem>> GetOutboxAsync(string? state, int limit, CancellationToken cancellationToken)
    {
        if (state is not null && !OutboxState.All.Contains(state))
        {
            throw new ArgumentException($"'{state}' is not an outbox state ({string.Join(", ", OutboxState.All)})", nameof(state));
        }

        return QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE $1::text IS NULL OR state = $1 ORDER BY id DESC LIMIT $2;",
            [Text(state), Limit(limit)],
            ReadOutbox,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<OutboxItem?> GetOutboxItemAsync(long id, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync($"SELECT {OutboxColumns} FROM outbox WHERE id = $1;", [Bigint(id)], ReadOutbox, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public async Task<OutboxReplay> ReplayOutboxAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var replay = await ReplayAsync(connection, tx, id, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return replay;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxReplay>> ReplayDeadOutboxAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var dead = await QueryAsync(
            connection,
            tx,
            "SELECT id, source, patient FROM outbox WHERE state = 'dead' AND replayed_by IS NULL AND replayed_at IS NULL ORDER BY id;",
            [],
            r => (Id: r.GetInt64(0), Source: r.GetString(1), Patient: r.GetString(2)),
            cancellationToken);

        // The patients' recompute locks first, in the order a commit takes them, so a commit running meanwhile and this
        // replay cannot wait on each other in a cycle.
        foreach (var (source, patient) in dead.Select(d => (d.Source, d.Patient)).Distinct().OrderBy(d => d.Source, StringComparer.Ordinal).ThenBy(d => d.Patient, StringComparer.Ordinal))
        {
            await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock($1);", [Bigint(StableKey("recompute", source, patient))], cancellationToken);
        }

        var replays = new List<OutboxReplay>(dead.Count);
        foreach (var (id, _, _) in dead)
        {
            replays.Add(await ReplayAsync(connection, tx, id, cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return replays;
    }

    /// <inheritdoc />
    public Task RecordRunAsync(SourceRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return ExecuteAsync(
            "INSERT INTO runs (source, at, as_of, error) VALUES ($1, $2, $3, $4) ON CONFLICT (source) DO UPDATE SET at = EXCLUDED.at, as_of = EXCLUDED.as_of, error = EXCLUDED.error;",
            [Text(run.Source), Text(FormatTime(run.At)), Text(FormatTime(run.AsOf)), Text(run.Error)],
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SourceRun>> GetRunsAsync(CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT source, at, as_of, error FROM runs ORDER BY source;",
            [],
            r => new SourceRun(r.GetString(0), ParseTime(r.GetString(1))!.Value, ParseTime(r.GetString(2))!.Value, r.IsDBNull(3) ? null : r.GetString(3)),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<QuarantineItem>> GetQuarantineAsync(string source, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT origin, resource_type, reason, fingerprint FROM quarantine WHERE source = $1 ORDER BY seq;",
            [Text(source)],
            r => new QuarantineItem(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2)) { Fingerprint = r.IsDBNull(3) ? null : r.GetString(3) },
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _lockSource.DisposeAsync();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _dataSource.Dispose();
        _lockSource.Dispose();
    }

    // Times are stored as SQLite stores them: UTC ISO 8601 with a fixed width, so text order (collation "C") is time order.
    /// <summary>A 64-bit advisory-lock key for a purpose and its parts: the first 8 bytes of their SHA-256, the same in every process.</summary>
    private static long StableKey(string purpose, params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("fhirbridge:" + purpose + "\n" + string.Join('\n', parts)));
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }

    /// <summary>One replay inside the caller's transaction; see <see cref="IStateStore.ReplayOutboxAsync"/>.</summary>
    private async Task<OutboxReplay> ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long id, CancellationToken cancellationToken)
    {
        // FOR UPDATE: two instances replaying the same dead letter take turns, and the second sees it replayed already.
        var found = await QueryAsync(
            connection,
            tx,
            "SELECT source, patient, subject_key, state, replayed_by, replayed_at IS NOT NULL FROM outbox WHERE id = $1 FOR UPDATE;",
            [Bigint(id)],
            r => (Source: r.GetString(0), Patient: r.GetString(1), SubjectKey: r.GetString(2), State: r.GetString(3), ReplayedBy: r.IsDBNull(4) ? (long?)null : r.GetInt64(4), ReplayedAlready: r.GetBoolean(5)),
            cancellationToken);
        if (found.Count == 0)
        {
            return new OutboxReplay(id, null, null, string.Create(CultureInfo.InvariantCulture, $"outbox item {id} does not exist"));
        }

        var (source, patient, subjectKey, state, replayedBy, replayedAlready) = found[0];
        string? Refused(string why) => string.Create(CultureInfo.InvariantCulture, $"outbox item {id} {why}");
        if (state != OutboxState.Dead)
        {
            return new OutboxReplay(id, source, subjectKey, Refused($"is {state}, not a dead letter"));
        }

        if (replayedBy is { } by)
        {
            return new OutboxReplay(id, source, subjectKey, Refused(string.Create(CultureInfo.InvariantCulture, $"was replayed already as item {by}")));
        }

        if (replayedAlready)
        {
            return new OutboxReplay(id, source, subjectKey, Refused("was replayed already"));
        }

        // The subject's records are sent again as they are now (IStateStore.ReplayOutboxAsync). A dead letter from
        // before dead letters corrected the projection gets that correction's first half here; its retractions were
        // not kept.
        await DoubtProjectionAsync(connection, tx, source, patient, subjectKey, [], cancellationToken);
        await ExecuteAsync(
            connection,
            tx,
            MarkDirty,
            [Text(source), Text(patient)],
            cancellationToken);
        await ExecuteAsync(connection, tx, "UPDATE outbox SET replayed_at = $2 WHERE id = $1;", [Bigint(id), Text(FormatTime(_clock.GetUtcNow()))], cancellationToken);
        return new OutboxReplay(id, source, subjectKey, null);
    }

    private static ProjectedRecord ReadProjected(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseTime(r.IsDBNull(4) ? null : r.GetString(4))) { Origin = r.IsDBNull(7) ? null : r.GetString(7) };

    private static StoredResource ReadResource(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), ParseTime(r.IsDBNull(3) ? null : r.GetString(3)), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5));

    // where: a condition on the insert (FROM-less WHERE), or empty.
    private static void AddLog(NpgsqlBatch write, string source, string? patient, IReadOnlyList<MappingLogEntry> log, string recordedAt, string where = "")
    {
        // recorded_at: when the decision was made, for the admin surface's time filter.
        foreach (var entry in log)
        {
            write.BatchCommands.Add(Statement(
                $"INSERT INTO mapping_log (source, patient, entry, recorded_at) SELECT $1, $2, $3, $4 {where};",
                Text(source), Text(patient), Text(JsonSerializer.Serialize(entry, LogJson)), Text(recordedAt)));
        }
    }

    private static void AddPairs(NpgsqlBatch write, string table, string keyColumn, string valueColumn, string source, IReadOnlyDictionary<string, string> pairs)
    {
        foreach (var (key, value) in pairs)
        {
            write.BatchCommands.Add(Statement(
                $"INSERT INTO {table} (source, {keyColumn}, {valueColumn}) VALUES ($1, $2, $3) ON CONFLICT (source, {keyColumn}) DO UPDATE SET {valueColumn} = EXCLUDED.{valueColumn};",
                Text(source), Text(key), Text(value)));
        }
    }

    private static NpgsqlBatchCommand Statement(string sql, params NpgsqlParameter[] parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        statement.Parameters.AddRange(parameters);
        return statement;
    }

    // Positional parameters, typed, so that a null still has a type PostgreSQL can plan with.
    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter TextArray(string[] values) => new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = values };

    private static NpgsqlParameter NullableBigint(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Bigint(long value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value };

    private static NpgsqlParameter Bigints(IEnumerable<long> values) => new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = values.ToArray() };

    private static NpgsqlParameter Integer(int value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = value };

    private static NpgsqlParameter Bool(bool value) => new() { NpgsqlDbType = NpgsqlDbType.Boolean, Value = value };

    // SQLite reads a negative LIMIT as no limit; PostgreSQL refuses one, and reads LIMIT NULL as no limit.
    private static NpgsqlParameter Limit(int limit) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = limit < 0 ? DBNull.Value : (long)limit };

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, IReadOnlyList<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<T>> QueryAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, IReadOnlyList<NpgsqlParameter> parameters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, tx, sql, parameters);
        var result = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(read(reader));
        }

        return result;
    }

    private async Task ExecuteAsync(string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, sql, parameters, cancellationToken);
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, IReadOnlyList<NpgsqlParameter> parameters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await QueryAsync(connection, null, sql, parameters, read, cancellationToken);
    }

    // One query for every patient, its rows ordered by patient then as the single-patient query orders them; the last
    // column is the patient, grouped on here. Every patient asked for gets a list, empty when it has no rows.
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<T>>> QueryByPatientAsync<T>(
        string sql, string source, IReadOnlyCollection<string> patients, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var result = new Dictionary<string, List<T>>(patients.Count, StringComparer.Ordinal);
        foreach (var patient in patients)
        {
            result.TryAdd(patient, []);
        }

        if (result.Count > 0)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = Command(connection, null, sql, [Text(source), TextArray([.. result.Keys])]);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var patientColumn = reader.FieldCount - 1;
            while (await reader.ReadAsync(cancellationToken))
            {
                result[reader.GetString(patientColumn)].Add(read(reader));
            }
        }

        return result.ToDictionary(e => e.Key, IReadOnlyList<T> (e) => e.Value, StringComparer.Ordinal);
    }

    private async Task<string?> SingleStringAsync(string sql, string source, string key, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(sql, [Text(source), Text(key)], r => r.GetString(0), cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }
}
