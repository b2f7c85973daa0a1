namespace FhirBridge.Storage.Sqlite;

/// <summary>The SQLite schema, as numbered migrations applied in order; the applied number is kept in <c>schema_version</c>.</summary>
internal static class SqliteSchema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE resources (
            source TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
            version_id TEXT, last_updated TEXT, patient TEXT, json TEXT NOT NULL,
            PRIMARY KEY (source, type, id));
        CREATE INDEX resources_patient ON resources (source, patient, type, id);
        CREATE TABLE quarantine (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, origin TEXT NOT NULL,
            resource_type TEXT, reason TEXT NOT NULL);
        CREATE INDEX quarantine_origin ON quarantine (source, origin);
        CREATE TABLE watermarks (source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (source, key));
        CREATE TABLE files (source TEXT NOT NULL, path TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (source, path));
        CREATE TABLE dirty (source TEXT NOT NULL, patient TEXT NOT NULL, generation INTEGER NOT NULL, PRIMARY KEY (source, patient));
        CREATE TABLE projection (
            source TEXT NOT NULL, patient TEXT NOT NULL, record_key TEXT NOT NULL, subject_key TEXT NOT NULL,
            hash TEXT NOT NULL, json TEXT NOT NULL, open_until TEXT,
            PRIMARY KEY (source, record_key));
        CREATE INDEX projection_patient ON projection (source, patient, record_key);
        CREATE INDEX projection_open ON projection (source, open_until) WHERE open_until IS NOT NULL;
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, patient TEXT NOT NULL, subject_key TEXT NOT NULL,
            bundle TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
        CREATE INDEX outbox_state ON outbox (state, id);
        CREATE TABLE mapping_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, patient TEXT, entry TEXT NOT NULL);
        CREATE INDEX mapping_log_patient ON mapping_log (source, patient);
        CREATE TABLE runs (source TEXT PRIMARY KEY, at TEXT NOT NULL, as_of TEXT NOT NULL, error TEXT);
        """,

        // 2: outbox history for dead letters and replay. Times are null on items queued before this migration.
        """
        ALTER TABLE outbox ADD COLUMN created_at TEXT;
        ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;
        ALTER TABLE outbox ADD COLUMN sent_at TEXT;
        ALTER TABLE outbox ADD COLUMN dead_at TEXT;
        ALTER TABLE outbox ADD COLUMN replay_of INTEGER REFERENCES outbox (id);
        ALTER TABLE outbox ADD COLUMN replayed_by INTEGER REFERENCES outbox (id);
        CREATE INDEX outbox_subject ON outbox (source, subject_key, id);
        """,

        // 3: when each mapping-log entry was recorded, for the admin surface's time filter; null on older entries
        // until their patient is recomputed.
        """
        ALTER TABLE mapping_log ADD COLUMN recorded_at TEXT;
        CREATE INDEX mapping_log_recorded ON mapping_log (recorded_at);
        """,

        // 4: each patient's detection as of their last recompute, so a full report reads results instead of judging
        // every patient again.
        """
        CREATE TABLE detections (source TEXT NOT NULL, patient TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (source, patient));
        """,

        // 5: the fingerprint of the profile check that found a change set conforming when it was made, so the push
        // does not check it again; null on older items, which the push checks.
        """
        ALTER TABLE outbox ADD COLUMN checked_by TEXT;
        """,

        // 6: a projection row is the patient's: the same record key may be held by two patients for a while, when the
        // hospital moves a resource from one patient to another (a wrong-patient correction). The commit of the
        // patient who lost it hands it over (SqliteStateStore.CommitRecomputesAsync). The table is rebuilt, as
        // SQLite cannot change a primary key.
        """
        CREATE TABLE projection_of_patient (
            source TEXT NOT NULL, patient TEXT NOT NULL, record_key TEXT NOT NULL, subject_key TEXT NOT NULL,
            hash TEXT NOT NULL, json TEXT NOT NULL, open_until TEXT,
            PRIMARY KEY (source, patient, record_key));
        INSERT INTO projection_of_patient (source, patient, record_key, subject_key, hash, json, open_until)
            SELECT source, patient, record_key, subject_key, hash, json, open_until FROM projection;
        DROP TABLE projection;
        ALTER TABLE projection_of_patient RENAME TO projection;
        CREATE INDEX projection_record ON projection (source, record_key);
        CREATE INDEX projection_open ON projection (source, open_until) WHERE open_until IS NOT NULL;
        """,

        // 7: a quarantined input is identified by its content as well as its origin and reason (a REST page entry or
        // an export's file:line names another resource in every run): the SHA-256 of its text (InputFingerprint),
        // never the text. Rows from before have none and keep their identity (a NULL fingerprint matches only NULL);
        // their inputs cannot be hashed now, so one met again gets a second row with a fingerprint, once.
        """
        ALTER TABLE quarantine ADD COLUMN fingerprint TEXT;
        """,

        // 8: dead letters correct the projection, and a replay recomputes the patient instead of resending the old
        // Bundle (docs/registry.md, "Dead letters"): the projection rows each change set retracts, kept with it (null
        // when none, and on older items), and when an admin replayed a dead letter.
        """
        ALTER TABLE outbox ADD COLUMN retracted TEXT;
        ALTER TABLE outbox ADD COLUMN replayed_at TEXT;
        """,

        // 9: a version per patient's projection, advanced by every commit of the patient and every hand-over that
        // takes records from them, so a commit computed from an older read is dropped instead of writing a stale
        // projection back (SqliteStateStore.CommitRecomputesAsync). Patients already projected start at 0, as a
        // patient without a row reads.
        """
        CREATE TABLE projection_versions (
            source TEXT NOT NULL, patient TEXT NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (source, patient)) WITHOUT ROWID;
        INSERT INTO projection_versions (source, patient, version) SELECT DISTINCT source, patient, 0 FROM projection;
        """,

        // 10: when a patient's detection stops holding without new data because a Procedure that started after the
        // as-of time they were judged at has started (RecomputeCommit.JudgeAgainAt). Detections stored before were
        // written without it: those that depended on their as-of time (a Procedure left out, or a window still open)
        // are judged again at the next run, which stores their time.
        """
        ALTER TABLE detections ADD COLUMN judge_again_at TEXT;
        CREATE INDEX detections_judge_again ON detections (source, judge_again_at) WHERE judge_again_at IS NOT NULL;
        UPDATE detections SET judge_again_at = '0001-01-01T00:00:00.0000000Z' WHERE json LIKE '%"AsOfSensitive":true%';
        """,

        // 11: each projection row keeps its origin, the hospital resource whose patient makes the record (the index
        // operation's Procedure, or the Patient), and the hand-over finds the patient holding a record through it
        // instead of through an index on record keys (SqliteStateStore.HandOver; docs/storage.md). Rows stored
        // before have none: every patient is marked dirty, so the next run stores every row again with its origin (and
        // judges everyone under this version's reading of an operation's first Procedures, docs/rule.md), and until
        // then such a row is looked up by its key alone.
        """
        ALTER TABLE projection ADD COLUMN origin TEXT;
        DROP INDEX projection_record;
        INSERT INTO dirty (source, patient, generation)
            SELECT source, patient, 1 FROM (SELECT source, patient FROM projection UNION SELECT source, patient FROM resources WHERE patient IS NOT NULL) WHERE true
            ON CONFLICT (source, patient) DO UPDATE SET generation = generation + 1;
        """,
    ];
}
