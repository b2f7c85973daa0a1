namespace FhirBridge.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, as numbered migrations applied in order; the applied number is kept in <c>schema_version</c>.
/// PostgreSQL support began at SQLite's schema version 3, so its first migration is that whole schema; a later change
/// adds a migration here and one in <c>SqliteSchema</c>.
/// </summary>
/// <remarks>
/// Text columns that are compared or sorted use the "C" collation, so order is byte order, as SQLite's BINARY is.
/// Times are text in SQLite's fixed-width UTC format (100 ns ticks, which <c>timestamptz</c> would round to
/// microseconds), so both stores hand back the same instants in the same order. JSON is kept as text, exactly as
/// received, and parsed only where a query filters on it.
/// </remarks>
internal static class PostgresSchema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE resources (
            source text COLLATE "C" NOT NULL, type text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
            version_id text COLLATE "C", last_updated text COLLATE "C", patient text COLLATE "C", json text NOT NULL,
            PRIMARY KEY (source, type, id));
        CREATE INDEX resources_patient ON resources (source, patient, type, id);
        CREATE TABLE quarantine (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source text COLLATE "C" NOT NULL, origin text COLLATE "C" NOT NULL,
            resource_type text COLLATE "C", reason text COLLATE "C" NOT NULL);
        -- Unique so that two instances meeting the same bad input record it once; the reason hashed, as it may be long.
        CREATE UNIQUE INDEX quarantine_origin ON quarantine (source, origin, md5(reason));
        CREATE TABLE watermarks (
            source text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, value text COLLATE "C" NOT NULL, PRIMARY KEY (source, key));
        CREATE TABLE files (
            source text COLLATE "C" NOT NULL, path text COLLATE "C" NOT NULL, fingerprint text COLLATE "C" NOT NULL, PRIMARY KEY (source, path));
        -- seq keeps the order patients were first marked (SQLite's rowid): an upsert keeps it, a clear and a new mark renews it.
        CREATE TABLE dirty (
            source text COLLATE "C" NOT NULL, patient text COLLATE "C" NOT NULL, generation bigint NOT NULL,
            seq bigint GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (source, patient));
        CREATE INDEX dirty_order ON dirty (source, seq);
        CREATE TABLE projection (
            source text COLLATE "C" NOT NULL, patient text COLLATE "C" NOT NULL, record_key text COLLATE "C" NOT NULL,
            subject_key text COLLATE "C" NOT NULL, hash text COLLATE "C" NOT NULL, json text NOT NULL, open_until text COLLATE "C",
            PRIMARY KEY (source, record_key));
        CREATE INDEX projection_patient ON projection (source, patient, record_key);
        CREATE INDEX projection_open ON projection (source, open_until) WHERE open_until IS NOT NULL;
        CREATE TABLE outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source text COLLATE "C" NOT NULL, patient text COLLATE "C" NOT NULL,
            subject_key text COLLATE "C" NOT NULL, bundle text NOT NULL, state text COLLATE "C" NOT NULL DEFAULT 'pending',
            attempts integer NOT NULL DEFAULT 0, last_error text,
            created_at text COLLATE "C", last_attempt_at text COLLATE "C", sent_at text COLLATE "C", dead_at text COLLATE "C",
            replay_of bigint REFERENCES outbox (id), replayed_by bigint REFERENCES outbox (id));
        CREATE INDEX outbox_state ON outbox (state, id);
        CREATE INDEX outbox_subject ON outbox (source, subject_key, id);
        CREATE TABLE mapping_log (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source text COLLATE "C" NOT NULL, patient text COLLATE "C",
            entry text NOT NULL, recorded_at text COLLATE "C");
        CREATE INDEX mapping_log_patient ON mapping_log (source, patient);
        CREATE INDEX mapping_log_recorded ON mapping_log (recorded_at);
        CREATE TABLE runs (
            source text COLLATE "C" PRIMARY KEY, at text COLLATE "C" NOT NULL, as_of text COLLATE "C" NOT NULL, error text);
        """,

        // 2 (SQLite's 4): each patient's detection as of their last recompute, so a full report reads results
        // instead of judging every patient again.
        """
        CREATE TABLE detections (
            source text COLLATE "C" NOT NULL, patient text COLLATE "C" NOT NULL, json text NOT NULL, PRIMARY KEY (source, patient));
        """,

        // 3 (SQLite's 5): the fingerprint of the profile check that found a change set conforming when it was made,
        // so the push does not check it again; null on older items, which the push checks.
        """
        ALTER TABLE outbox ADD COLUMN checked_by text COLLATE "C";
        """,

        // 4 (SQLite's 6): a projection row is the patient's: the same record key may be held by two patients for a
        // while, when the hospital moves a resource from one patient to another (a wrong-patient correction). The
        // commit of the patient who lost it hands it over (PostgresStateStore.CommitRecomputesAsync).
        """
        ALTER TABLE projection DROP CONSTRAINT projection_pkey;
        ALTER TABLE projection ADD PRIMARY KEY (source, patient, record_key);
        DROP INDEX projection_patient;
        CREATE INDEX projection_record ON projection (source, record_key);
        """,

        // 5 (SQLite's 7): a quarantined input is identified by its content as well as its origin and reason (a REST
        // page entry or an export's file:line names another resource in every run): the SHA-256 of its text
        // (InputFingerprint), never the text. The unique index takes it, with rows from before (no fingerprint) as
        // '' so they keep their identity and an item without one still meets them; their inputs cannot be hashed
        // now, so one met again gets a second row with a fingerprint, once.
        """
        ALTER TABLE quarantine ADD COLUMN fingerprint text COLLATE "C";
        DROP INDEX quarantine_origin;
        CREATE UNIQUE INDEX quarantine_origin ON quarantine (source, origin, md5(reason), coalesce(fingerprint, ''));
        """,

        // 6 (SQLite's 8): dead letters correct the projection, and a replay recomputes the patient instead of
        // resending the old Bundle (docs/registry.md, "Dead letters"): the projection rows each change set retracts,
        // kept with it (null when none, and on older items), and when an admin replayed a dead letter.
        """
        ALTER TABLE outbox ADD COLUMN retracted text;
        ALTER TABLE outbox ADD COLUMN replayed_at text COLLATE "C";
        """,

        // 7 (SQLite's 9): a version per patient's projection, advanced by every commit of the patient and every
        // hand-over that takes records from them, so a commit computed from an older read is dropped instead of
        // writing a stale projection back (PostgresStateStore.CommitRecomputesAsync). Patients already projected get a
        // row at 0, as a patient without a row reads: a hand-over locks the row of each patient it takes records from.
        """
        CREATE TABLE projection_versions (
            source text COLLATE "C" NOT NULL, patient text COLLATE "C" NOT NULL, version bigint NOT NULL,
            PRIMARY KEY (source, patient));
        INSERT INTO projection_versions (source, patient, version) SELECT DISTINCT source, patient, 0 FROM projection;
        """,

        // 8 (SQLite's 10): when a patient's detection stops holding without new data because a Procedure that started
        // after the as-of time they were judged at has started (RecomputeCommit.JudgeAgainAt). Detections stored before
        // that depended on their as-of time are judged again at the next run, which stores their time.
        """
        ALTER TABLE detections ADD COLUMN judge_again_at text COLLATE "C";
        CREATE INDEX detections_judge_again ON detections (source, judge_again_at) WHERE judge_again_at IS NOT NULL;
        UPDATE detections SET judge_again_at = '0001-01-01T00:00:00.0000000Z' WHERE json LIKE '%"AsOfSensitive":true%';
        """,

        // 9 (SQLite's 11): each projection row keeps its origin, the hospital resource whose patient makes the record
        // (the index operation's Procedure, or the Patient), and the hand-over finds the patient holding a record
        // through it instead of through an index on record keys (PostgresStateStore.CommitRecomputesAsync;
        // docs/storage.md). Rows stored before have none: every patient is marked dirty, so the next run stores every
        // row again with its origin (and judges everyone under this version's reading of an operation's first
        // Procedures, docs/rule.md), and until then such a row is looked up by its key alone.
        """
        ALTER TABLE projection ADD COLUMN origin text COLLATE "C";
        DROP INDEX projection_record;
        INSERT INTO dirty (source, patient, generation)
            SELECT source, patient, 1 FROM projection UNION SELECT source, patient, 1 FROM resources WHERE patient IS NOT NULL
            ON CONFLICT (source, patient) DO UPDATE SET generation = dirty.generation + 1;
        """,
    ];
}
