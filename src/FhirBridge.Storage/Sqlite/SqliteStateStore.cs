using System.Globalization;
using System.Text.Json;
using FhirBridge.MappingLog;
using FhirBridge.Reconcile;
using FhirBridge.Timeline;
using Microsoft.Data.Sqlite;
using static FhirBridge.Storage.StoreFormat;

namespace FhirBridge.Storage.Sqlite;

/// <summary>
/// The default store: one SQLite file, nothing to install. WAL mode so readers (status, reports) never block the
/// pipeline; every change in one transaction.
/// </summary>
public sealed partial class SqliteStateStore : IStateStore
{
    // A patient to be recomputed: a new mark, or the generation advanced, so a recompute that read the older mark leaves
    // it in place when it commits.
    private const string MarkDirty = "INSERT INTO dirty (source, patient, generation) VALUES ($s, $p, 1) ON CONFLICT (source, patient) DO UPDATE SET generation = generation + 1;";

    // The patient's projection changed: a recompute computed from the version before is dropped at its commit.
    private const string AdvanceVersion = "INSERT INTO projection_versions (source, patient, version) VALUES ($s, $p, 1) ON CONFLICT (source, patient) DO UPDATE SET version = version + 1;";

    private readonly string _connectionString;
    private readonly TimeProvider _clock;

    /// <summary>Creates the store over a file (created on migrate), on the system clock.</summary>
    /// <param name="path">The database file.</param>
    public SqliteStateStore(string path)
        : this(path, TimeProvider.System)
    {
    }

    /// <summary>Creates the store over a file (created on migrate).</summary>
    /// <param name="path">The database file.</param>
    /// <param name="clock">Stamps outbox items (queued, sent, dead).</param>
    public SqliteStateStore(string path, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        // The schema table, not just "SELECT 1": a missing or unmigrated file must fail too.
        await using var connection = await OpenAsync(cancellationToken);
        _ = await ScalarAsync(connection, null, "SELECT COUNT(*) FROM schema_version;", cancellationToken);
    }

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken);
        await ExecuteAsync(connection, null, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version;", cancellationToken), CultureInfo.InvariantCulture);
        for (var v = current; v < SqliteSchema.Migrations.Count; v++)
        {
            await ExecuteAsync(connection, tx, SqliteSchema.Migrations[v], cancellationToken);
            await ExecuteAsync(connection, tx, $"INSERT INTO schema_version (version) VALUES ({v + 1});", cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IngestOutcome> IngestAsync(string source, IngestBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        int stored = 0, unchanged = 0;
        var dirty = new HashSet<string>(StringComparer.Ordinal);
        var sharedChanged = false;

        await using var read = Command(connection, tx, "SELECT version_id, last_updated, patient FROM resources WHERE source = $s AND type = $t AND id = $i;", "$s", "$t", "$i");
        await using var write = Command(connection, tx, """
            INSERT INTO resources (source, type, id, version_id, last_updated, patient, json) VALUES ($s, $t, $i, $v, $u, $p, $j)
            ON CONFLICT (source, type, id) DO UPDATE SET version_id = $v, last_updated = $u, patient = $p, json = $j;
            """, "$s", "$t", "$i", "$v", "$u", "$p", "$j");
        foreach (var r in batch.Resources)
        {
            Set(read, source, r.Type, r.Id);
            SourceRef? held = null;
            string? heldPatient = null;
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    held = new SourceRef(new ResourceKey(r.Type, r.Id), reader.IsDBNull(0) ? null : reader.GetString(0), ParseTime(reader.IsDBNull(1) ? null : reader.GetString(1)));
                    heldPatient = reader.IsDBNull(2) ? null : reader.GetString(2);
                }
            }

            // spec, "Versions": keep the highest versionId, then the latest lastUpdated; an equal version is already held.
            var incoming = new SourceRef(new ResourceKey(r.Type, r.Id), r.VersionId, r.LastUpdated);
            if (held is not null && !incoming.IsNewerThan(held))
            {
                unchanged++;
                continue;
            }

            Set(write, source, r.Type, r.Id, r.VersionId, FormatTime(r.LastUpdated), r.Patient, r.Json);
            await write.ExecuteNonQueryAsync(cancellationToken);
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
            if (heldPatient is not null && heldPatient != r.Patient)
            {
                dirty.Add(heldPatient);
            }
        }

        // The same bad input met again (its file changed and was read again, a page fetched again) is recorded once;
        // a different one at the same origin with the same reason is not the same input (its fingerprint differs).
        // A row without a fingerprint (quarantined before migration 7) matches only an item without one.
        await using (var quarantine = Command(connection, tx,
            """
            INSERT INTO quarantine (source, origin, resource_type, reason, fingerprint) SELECT $s, $o, $t, $r, $f
            WHERE NOT EXISTS (SELECT 1 FROM quarantine WHERE source = $s AND origin = $o AND reason = $r AND coalesce(fingerprint, '') = coalesce($f, ''));
            """,
            "$s", "$o", "$t", "$r", "$f"))
        {
            foreach (var q in batch.Quarantined)
            {
                Set(quarantine, source, q.Origin, q.ResourceType, q.Reason, q.Fingerprint);
                await quarantine.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        if (sharedChanged)
        {
            // A Location's or Organization's type can change any patient's setting or department.
            await using var all = Command(connection, tx, "SELECT DISTINCT patient FROM resources WHERE source = $s AND patient IS NOT NULL;");
            all.Parameters.AddWithValue("$s", source);
            await using var reader = await all.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                dirty.Add(reader.GetString(0));
            }
        }

        await using (var mark = Command(connection, tx, MarkDirty, "$s", "$p"))
        {
            foreach (var patient in dirty)
            {
                Set(mark, source, patient);
                await mark.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await UpsertPairsAsync(connection, tx, "watermarks", "key", "value", source, batch.Watermarks, cancellationToken);
        await UpsertPairsAsync(connection, tx, "files", "path", "fingerprint", source, batch.Files, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new IngestOutcome(stored, unchanged, batch.Quarantined.Count, dirty.Count);
    }

    /// <inheritdoc />
    public Task<string?> GetWatermarkAsync(string source, string key, CancellationToken cancellationToken) =>
        SingleStringAsync("SELECT value FROM watermarks WHERE source = $s AND key = $k;", source, key, cancellationToken);

    /// <inheritdoc />
    public Task<string?> GetFileFingerprintAsync(string source, string path, CancellationToken cancellationToken) =>
        SingleStringAsync("SELECT fingerprint FROM files WHERE source = $s AND path = $k;", source, path, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<DirtyPatient>> GetDirtyPatientsAsync(string source, int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT patient, generation FROM dirty WHERE source = $s ORDER BY rowid LIMIT $n;",
            c => { c.Parameters.AddWithValue("$s", source); c.Parameters.AddWithValue("$n", limit); },
            r => new DirtyPatient(r.GetString(0), r.GetInt64(1)),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetPatientsToJudgeAgainAsync(string source, DateTimeOffset asOf, CancellationToken cancellationToken) =>
        QueryAsync(
            """
            SELECT patient FROM projection WHERE source = $s AND open_until IS NOT NULL AND open_until <= $t
            UNION SELECT patient FROM detections WHERE source = $s AND judge_again_at IS NOT NULL AND judge_again_at <= $t
            ORDER BY patient;
            """,
            c => { c.Parameters.AddWithValue("$s", source); c.Parameters.AddWithValue("$t", FormatTime(asOf)); },
            r => r.GetString(0),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredResource>> GetPatientResourcesAsync(string source, string patient, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT type, id, version_id, last_updated, patient, json FROM resources WHERE source = $s AND patient = $p ORDER BY type, id;",
            c => { c.Parameters.AddWithValue("$s", source); c.Parameters.AddWithValue("$p", patient); },
            ReadResource,
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, IReadOnlyList<StoredResource>>> GetPatientsResourcesAsync(string source, IReadOnlyCollection<string> patients, CancellationToken cancellationToken) =>
        QueryPerPatientAsync(
            "SELECT type, id, version_id, last_updated, patient, json FROM resources WHERE source = $s AND patient = $p ORDER BY type, id;",
            source,
            patients,
            ReadResource,
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredResource>> GetSharedResourcesAsync(string source, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT type, id, version_id, last_updated, patient, json FROM resources WHERE source = $s AND patient IS NULL AND type IN ('Location', 'Organization') ORDER BY type, id;",
            c => c.Parameters.AddWithValue("$s", source),
            ReadResource,
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetPatientIdsAsync(string source, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT DISTINCT patient FROM resources WHERE source = $s AND patient IS NOT NULL ORDER BY patient;",
            c => c.Parameters.AddWithValue("$s", source),
            r => r.GetString(0),
            cancellationToken);

    /// <inheritdoc />
    public async Task<PatientProjection> GetProjectionAsync(string source, string patient, CancellationToken cancellationToken) =>
        (await GetProjectionsAsync(source, [patient], cancellationToken))[patient];

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, PatientProjection>> GetProjectionsAsync(string source, IReadOnlyCollection<string> patients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var result = new Dictionary<string, PatientProjection>(patients.Count, StringComparer.Ordinal);
        if (patients.Count == 0)
        {
            return result;
        }

        // One snapshot for every patient, so each version read is the one of the rows read with it. One prepared
        // statement each for the rows and the version, run per patient (an index seek each).
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: true);
        await using var rows = Command(connection, tx, "SELECT record_key, subject_key, hash, json, open_until, origin FROM projection WHERE source = $s AND patient = $p ORDER BY record_key;", "$s", "$p");
        await using var version = Command(connection, tx, "SELECT version FROM projection_versions WHERE source = $s AND patient = $p;", "$s", "$p");
        foreach (var patient in patients)
        {
            if (result.ContainsKey(patient))
            {
                continue;
            }

            Set(rows, source, patient);
            var records = new List<ProjectedRecord>();
            await using (var reader = await rows.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    records.Add(ReadProjected(reader));
                }
            }

            Set(version, source, patient);
            result[patient] = new PatientProjection(records, await VersionAsync(version, cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return result;
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
        var dropped = new List<RecomputeCommit>();
        if (commits.Count == 0)
        {
            return dropped;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        // Each statement is prepared once for the whole batch with its parameters; each row only sets their values.
        await using var deleteProjection = Command(connection, tx, "DELETE FROM projection WHERE source = $s AND patient = $p RETURNING record_key, origin;", "$s", "$p");
        await using var handOver = new HandOver(connection, tx);
        await using var markDirty = Command(connection, tx, MarkDirty, "$s", "$p");
        await using var delete = Command(connection, tx, "DELETE FROM mapping_log WHERE source = $s AND patient = $p; DELETE FROM detections WHERE source = $s AND patient = $p;", "$s", "$p");
        await using var insert = Command(connection, tx, "INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until, origin) VALUES ($s, $p, $k, $sk, $h, $j, $o, $or);", "$s", "$p", "$k", "$sk", "$h", "$j", "$o", "$or");
        await using var enqueue = Command(connection, tx, "INSERT INTO outbox (source, patient, subject_key, bundle, created_at, checked_by, retracted) VALUES ($s, $p, $k, $b, $t, $c, $r);", "$s", "$p", "$k", "$b", "$t", "$c", "$r");
        await using var logInsert = Command(connection, tx, "INSERT INTO mapping_log (source, patient, entry, recorded_at) VALUES ($s, $p, $e, $r);", "$s", "$p", "$e", "$r");
        await using var detection = Command(connection, tx, "INSERT INTO detections (source, patient, json, judge_again_at) VALUES ($s, $p, $j, $a);", "$s", "$p", "$j", "$a");
        await using var clear = Command(connection, tx, "DELETE FROM dirty WHERE source = $s AND patient = $p AND generation = $g;", "$s", "$p", "$g");
        await using var version = Command(connection, tx, "SELECT version FROM projection_versions WHERE source = $s AND patient = $p;", "$s", "$p");
        await using var advance = Command(connection, tx, AdvanceVersion, "$s", "$p");
        var now = FormatTime(_clock.GetUtcNow())!;
        foreach (var commit in commits)
        {
            var patient = commit.Patient;

            // Computed from a projection that changed since it was read (a hand-over earlier in this batch or an
            // earlier one took records from the patient): writing it would put those records back, so the patient
            // is judged again from what is held now. The transaction is this process's only writer (BEGIN IMMEDIATE),
            // so nothing changes between this read and the writes below.
            if (commit.ProjectionVersion is { } read)
            {
                Set(version, source, patient);
                if (await VersionAsync(version, cancellationToken) != read)
                {
                    Set(markDirty, source, patient);
                    await markDirty.ExecuteNonQueryAsync(cancellationToken);
                    dropped.Add(commit);
                    continue;
                }
            }

            Set(advance, source, patient);
            await advance.ExecuteNonQueryAsync(cancellationToken);
            if (!commit.ProjectionUnchanged)
            {
                Set(deleteProjection, source, patient);
                var held = await ReadPairsAsync(deleteProjection, cancellationToken);
                await handOver.TakeAsync(markDirty, advance, source, held, commit.Projection, cancellationToken);
                foreach (var record in commit.Projection)
                {
                    Set(insert, source, patient, record.RecordKey, record.SubjectKey, record.Hash, PackedText.Pack(record.Json), FormatTime(record.OpenUntil), record.Origin);
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            Set(delete, source, patient);
            await delete.ExecuteNonQueryAsync(cancellationToken);

            foreach (var changeSet in commit.ChangeSets)
            {
                Set(enqueue, source, patient, changeSet.SubjectKey, PackedText.Pack(changeSet.Bundle), now, changeSet.CheckedBy, WriteRetracted(changeSet.Retracted));
                await enqueue.ExecuteNonQueryAsync(cancellationToken);
            }

            // recorded_at (migration 3): when the decision was made, for the admin surface's time filter.
            foreach (var entry in commit.Log)
            {
                Set(logInsert, source, patient, JsonSerializer.Serialize(entry, LogJson), now);
                await logInsert.ExecuteNonQueryAsync(cancellationToken);
            }

            if (commit.Detection is { } json)
            {
                Set(detection, source, patient, json, FormatTime(commit.JudgeAgainAt));
                await detection.ExecuteNonQueryAsync(cancellationToken);
            }

            if (commit.Generation is { } g)
            {
                // Only if nothing arrived for this patient since we read them: otherwise they stay dirty for the next pass.
                Set(clear, source, patient, g);
                await clear.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await tx.CommitAsync(cancellationToken);
        return dropped;
    }

    // The records this patient held and no longer has that another patient holds now (a resource moved between
    // patients, docs/registry.md): both change sets were made from the state before, so this one's retraction is
    // queued after the other's addition. The other patient loses those rows and is marked dirty, so their next
    // recompute sends the records again, after the retraction; their version advances, so a commit of theirs computed
    // from the rows they had (later in this batch, or the next) is dropped instead of putting the records back.
    //
    // Who that is: the patient the record's origin belongs to now (the index operation's Procedure, whose id every
    // identifier of the subject derives from), found through the resources' primary key, then the projection's. A
    // patient who held the record before the origin moved on is dirty since that move, and retracts it in their own
    // recompute, which hands it over in turn. So the projection needs no index on record keys, which are pseudonymous
    // and so random: keeping one up to date dirtied an index page for almost every row a commit inserted
    // (docs/benchmarks.md). A row stored before origins were kept (migration 11) is looked up by its key alone, a scan
    // of the projection; that migration marks every projected patient dirty, so such rows are gone after one run.
    internal const string HandOverToOwner =
        "DELETE FROM projection WHERE source = $s AND patient = (SELECT patient FROM resources WHERE source = $s AND type = $t AND id = $i) AND record_key = $k RETURNING patient;";

    private sealed class HandOver(SqliteConnection connection, SqliteTransaction tx) : IAsyncDisposable
    {
        private readonly SqliteCommand _toOwner = Command(connection, tx, HandOverToOwner, "$s", "$t", "$i", "$k");

        private readonly SqliteCommand _byKey = Command(connection, tx, "DELETE FROM projection WHERE source = $s AND record_key = $k RETURNING patient;", "$s", "$k");

        public async Task TakeAsync(
            SqliteCommand markDirty, SqliteCommand advance, string source, List<(string Key, string? Origin)> held, IReadOnlyList<ProjectedRecord> projection, CancellationToken cancellationToken)
        {
            if (held.Count == 0)
            {
                return;
            }

            var kept = projection.Select(r => r.RecordKey).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, origin) in held.Where(h => !kept.Contains(h.Key)))
            {
                SqliteCommand take;
                if (origin?.Split('/') is [var type, var id])
                {
                    take = _toOwner;
                    Set(take, source, type, id, key);
                }
                else
                {
                    take = _byKey;
                    Set(take, source, key);
                }

                foreach (var other in await ReadStringsAsync(take, cancellationToken))
                {
                    Set(markDirty, source, other);
                    await markDirty.ExecuteNonQueryAsync(cancellationToken);
                    Set(advance, source, other);
                    await advance.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _toOwner.DisposeAsync();
            await _byKey.DisposeAsync();
        }
    }

    // A patient's projection version; 0 when they have none yet (never committed).
    private static async Task<long> VersionAsync(SqliteCommand version, CancellationToken cancellationToken) =>
        await version.ExecuteScalarAsync(cancellationToken) is long v ? v : 0;

    private static async Task<List<(string, string?)>> ReadPairsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var values = new List<(string, string?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return values;
    }

    private static async Task<List<string>> ReadStringsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredDetection> GetDetectionsAsync(string source, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT patient, json FROM detections WHERE source = $s ORDER BY patient;");
        command.Parameters.AddWithValue("$s", source);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredDetection(reader.GetString(0), reader.GetString(1));
        }
    }

    /// <inheritdoc />
    public async Task ReplaceSharedLogAsync(string source, IReadOnlyList<MappingLogEntry> log, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = Command(connection, tx, "DELETE FROM mapping_log WHERE source = $s AND patient = $p;"))
        {
            delete.Parameters.AddWithValue("$s", source);
            delete.Parameters.AddWithValue("$p", SharedLogScope);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertLogAsync(connection, tx, source, SharedLogScope, log, FormatTime(_clock.GetUtcNow())!, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxItem>> GetPendingOutboxAsync(int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE state = 'pending' ORDER BY id LIMIT $n;",
            c => c.Parameters.AddWithValue("$n", limit),
            ReadOutbox,
            cancellationToken);

    /// <inheritdoc />
    public Task MarkOutboxSentAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        ids.Count == 0
            ? Task.CompletedTask
            : ExecuteAsync(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL, last_attempt_at = $t, sent_at = $t WHERE id IN (SELECT value FROM json_each($ids));",
                c => { c.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids)); c.Parameters.AddWithValue("$t", FormatTime(_clock.GetUtcNow())); },
                cancellationToken);

    /// <inheritdoc />
    public async Task MarkOutboxFailedAsync(long id, string failure, bool dead, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        string? source = null, patient = null, subjectKey = null, retracted = null;
        await using (var mark = Command(connection, tx, """
            UPDATE outbox SET state = CASE WHEN $dead THEN 'dead' ELSE state END, attempts = attempts + 1, last_error = $e,
                last_attempt_at = $t, dead_at = CASE WHEN $dead THEN $t ELSE dead_at END
            WHERE id = $id
            RETURNING source, patient, subject_key, retracted;
            """))
        {
            mark.Parameters.AddWithValue("$id", id);
            mark.Parameters.AddWithValue("$e", failure);
            mark.Parameters.AddWithValue("$dead", dead);
            mark.Parameters.AddWithValue("$t", FormatTime(_clock.GetUtcNow()));
            await using var reader = await mark.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                (source, patient, subjectKey, retracted) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
            }
        }

        if (dead && source is not null)
        {
            await DoubtProjectionAsync(connection, tx, source, patient!, subjectKey!, ReadRetracted(retracted), cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    // A change set the registry refused for good (docs/registry.md, "Dead letters"): the projection had assumed the
    // registry would apply it. The subject's rows lose their hashes, so the patient's next recompute sends them again
    // (what the registry holds of them is not known), and the rows the change set retracted come back, so that
    // recompute retracts them again (the registry still holds them), unless the patient holds those records again.
    private static async Task DoubtProjectionAsync(
        SqliteConnection connection, SqliteTransaction tx, string source, string patient, string subjectKey, IReadOnlyList<ProjectedRecord> retracted, CancellationToken cancellationToken)
    {
        // The projection changes, so its version advances: a recompute of the patient computed before (its commit still
        // to come) is dropped instead of writing the doubted rows back.
        await using (var doubt = Command(connection, tx, "UPDATE projection SET hash = '' WHERE source = $s AND patient = $p AND subject_key = $k;" + AdvanceVersion, "$s", "$p", "$k"))
        {
            Set(doubt, source, patient, subjectKey);
            await doubt.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var restore = Command(connection, tx, """
            INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until, origin) VALUES ($s, $p, $k, $sk, $h, $j, $o, $or)
            ON CONFLICT (source, patient, record_key) DO NOTHING;
            """, "$s", "$p", "$k", "$sk", "$h", "$j", "$o", "$or");
        foreach (var row in retracted)
        {
            Set(restore, source, patient, row.RecordKey, row.SubjectKey, row.Hash, PackedText.Pack(row.Json), FormatTime(row.OpenUntil), row.Origin);
            await restore.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, int>> GetOutboxCountsAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("SELECT state, COUNT(*) FROM outbox GROUP BY state;", _ => { }, r => (r.GetString(0), r.GetInt32(1)), cancellationToken);
        return rows.ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public async Task<int> CountDeadLettersToReplayAsync(CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT COUNT(*) FROM outbox WHERE state = 'dead' AND replayed_by IS NULL AND replayed_at IS NULL;", _ => { }, r => r.GetInt32(0), cancellationToken))[0];

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxItem>> GetOutboxAsync(string? state, int limit, CancellationToken cancellationToken)
    {
        if (state is not null && !OutboxState.All.Contains(state))
        {
            throw new ArgumentException($"'{state}' is not an outbox state ({string.Join(", ", OutboxState.All)})", nameof(state));
        }

        return QueryAsync(
            $"SELECT {OutboxColumns} FROM outbox WHERE $state IS NULL OR state = $state ORDER BY id DESC LIMIT $n;",
            c => { c.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value); c.Parameters.AddWithValue("$n", limit); },
            ReadOutbox,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<OutboxItem?> GetOutboxItemAsync(long id, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync($"SELECT {OutboxColumns} FROM outbox WHERE id = $id;", c => c.Parameters.AddWithValue("$id", id), ReadOutbox, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public async Task<OutboxReplay> ReplayOutboxAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var replay = await ReplayAsync(connection, tx, id, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return replay;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxReplay>> ReplayDeadOutboxAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var dead = new List<long>();
        await using (var select = Command(connection, tx, "SELECT id FROM outbox WHERE state = 'dead' AND replayed_by IS NULL AND replayed_at IS NULL ORDER BY id;"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                dead.Add(reader.GetInt64(0));
            }
        }

        var replays = new List<OutboxReplay>(dead.Count);
        foreach (var id in dead)
        {
            replays.Add(await ReplayAsync(connection, tx, id, cancellationToken));
        }

        await tx.CommitAsync(cancellationToken);
        return replays;
    }

    /// <inheritdoc />
    public Task RecordRunAsync(SourceRun run, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT INTO runs (source, at, as_of, error) VALUES ($s, $a, $o, $e) ON CONFLICT (source) DO UPDATE SET at = $a, as_of = $o, error = $e;",
            c =>
            {
                c.Parameters.AddWithValue("$s", run.Source);
                c.Parameters.AddWithValue("$a", FormatTime(run.At));
                c.Parameters.AddWithValue("$o", FormatTime(run.AsOf));
                c.Parameters.AddWithValue("$e", (object?)run.Error ?? DBNull.Value);
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<SourceRun>> GetRunsAsync(CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT source, at, as_of, error FROM runs ORDER BY source;",
            _ => { },
            r => new SourceRun(r.GetString(0), ParseTime(r.GetString(1))!.Value, ParseTime(r.GetString(2))!.Value, r.IsDBNull(3) ? null : r.GetString(3)),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<QuarantineItem>> GetQuarantineAsync(string source, CancellationToken cancellationToken) =>
        QueryAsync(
            "SELECT origin, resource_type, reason, fingerprint FROM quarantine WHERE source = $s ORDER BY seq;",
            c => c.Parameters.AddWithValue("$s", source),
            r => new QuarantineItem(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2)) { Fingerprint = r.IsDBNull(3) ? null : r.GetString(3) },
            cancellationToken);

    // Times are stored as UTC ISO 8601 with a fixed width, so text order is time order.
    /// <summary>One replay inside the caller's transaction; see <see cref="IStateStore.ReplayOutboxAsync"/>.</summary>
    private async Task<OutboxReplay> ReplayAsync(SqliteConnection connection, SqliteTransaction tx, long id, CancellationToken cancellationToken)
    {
        string source, patient, subjectKey, state;
        long? replayedBy;
        bool replayedAlready;
        await using (var read = Command(connection, tx, "SELECT source, patient, subject_key, state, replayed_by, replayed_at IS NOT NULL FROM outbox WHERE id = $id;"))
        {
            read.Parameters.AddWithValue("$id", id);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new OutboxReplay(id, null, null, string.Create(CultureInfo.InvariantCulture, $"outbox item {id} does not exist"));
            }

            (source, patient, subjectKey, state) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
            (replayedBy, replayedAlready) = (reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetBoolean(5));
        }

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
        await using (var mark = Command(connection, tx, MarkDirty + "UPDATE outbox SET replayed_at = $t WHERE id = $id;", "$s", "$p", "$t", "$id"))
        {
            Set(mark, source, patient, FormatTime(_clock.GetUtcNow()), id);
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        return new OutboxReplay(id, source, subjectKey, null);
    }

    private static ProjectedRecord ReadProjected(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), PackedText.Read(r, 3), ParseTime(r.IsDBNull(4) ? null : r.GetString(4))) { Origin = r.IsDBNull(5) ? null : r.GetString(5) };

    private static StoredResource ReadResource(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), ParseTime(r.IsDBNull(3) ? null : r.GetString(3)), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5));

    private static async Task InsertLogAsync(SqliteConnection connection, SqliteTransaction tx, string source, string? patient, IReadOnlyList<MappingLogEntry> log, string recordedAt, CancellationToken cancellationToken)
    {
        // recorded_at (migration 3): when the decision was made, for the admin surface's time filter.
        await using var insert = Command(connection, tx, "INSERT INTO mapping_log (source, patient, entry, recorded_at) VALUES ($s, $p, $e, $r);", "$s", "$p", "$e", "$r");
        foreach (var entry in log)
        {
            Set(insert, source, patient, JsonSerializer.Serialize(entry, LogJson), recordedAt);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task UpsertPairsAsync(SqliteConnection connection, SqliteTransaction tx, string table, string keyColumn, string valueColumn, string source, IReadOnlyDictionary<string, string> pairs, CancellationToken cancellationToken)
    {
        await using var upsert = Command(connection, tx,
            $"INSERT INTO {table} (source, {keyColumn}, {valueColumn}) VALUES ($s, $k, $v) ON CONFLICT (source, {keyColumn}) DO UPDATE SET {valueColumn} = $v;",
            "$s", "$k", "$v");
        foreach (var (key, value) in pairs)
        {
            Set(upsert, source, key, value);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // A statement run row after row keeps its parameters: a row sets their values (Set) instead of adding new ones.
    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql, params ReadOnlySpan<string> parameters)
    {
        var command = Command(connection, tx, sql);
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        }

        return command;
    }

    // One row's values, in the order the command's parameters were named; null is stored as NULL.
    private static void Set(SqliteCommand command, params ReadOnlySpan<object?> values)
    {
        var parameters = command.Parameters;
        if (values.Length != parameters.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{values.Length} values for {parameters.Count} parameters"), nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, tx, sql);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private async Task ExecuteAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql);
        bind(command);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<string?> SingleStringAsync(string sql, string source, string key, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(sql, c => { c.Parameters.AddWithValue("$s", source); c.Parameters.AddWithValue("$k", key); }, r => r.GetString(0), cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Action<SqliteCommand> bind, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql);
        bind(command);
        var result = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(read(reader));
        }

        return result;
    }

    // The single-patient query run once per patient on one connection and one prepared statement: the same rows in the
    // same order as asking patient by patient, without a connection and a statement per patient (an index seek each).
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<T>>> QueryPerPatientAsync<T>(
        string sql, string source, IReadOnlyCollection<string> patients, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var result = new Dictionary<string, IReadOnlyList<T>>(patients.Count, StringComparer.Ordinal);
        if (patients.Count == 0)
        {
            return result;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: true); // one snapshot for every patient
        await using var command = Command(connection, tx, sql);
        command.Parameters.AddWithValue("$s", source);
        var p = command.Parameters.Add("$p", SqliteType.Text);
        foreach (var patient in patients)
        {
            if (result.ContainsKey(patient))
            {
                continue;
            }

            p.Value = patient;
            var rows = new List<T>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(read(reader));
                }
            }

            result[patient] = rows;
        }

        await tx.CommitAsync(cancellationToken);
        return result;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        PackedText.Register(connection);
        // A 32 MB page cache per connection (SQLite's default is 2 MB): a backfill's commits insert projection rows
        // at random places of its key index, and at 70,000 patients a 2 MB cache made the recompute wait 63 s for
        // commits re-reading those pages from the file; 32 MB cut that to 22 s, the whole backfill by a fifth, for
        // about 60 MB more peak memory (docs/benchmarks.md). A larger cache gained little more. A checkpoint every
        // 10,000 WAL pages (about 40 MB; SQLite's default is 1,000) copies an index page that many commits changed
        // into the file once instead of again and again: the 70k backfill ran 6-9% faster, with less kernel time.
        await using var pragma = Command(connection, null, "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 10000;");
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
