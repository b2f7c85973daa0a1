using FhirBridge.MappingLog;
using FhirBridge.Reconcile;

namespace FhirBridge.Storage;

/// <summary>
/// FhirBridge's state, in one store (architecture.md, "State"): raw resources (latest version per resource), quarantine,
/// watermarks and file fingerprints, dirty patients, the registry projection, the outbox, the mapping log and runs.
/// Every method that changes state does so in one transaction, so a process killed anywhere loses nothing and a
/// repeated step changes nothing. SQLite by default; PostgreSQL for clusters behind the same interface.
/// </summary>
public interface IStateStore
{
    /// <summary>Creates or migrates the schema. Idempotent.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>A cheap query that fails when the store cannot be read (for readiness).</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores a batch: each resource kept only when it is a newer version than the one held (spec, "Versions"), its
    /// patient marked dirty; a newer shared resource (Location, Organization) marks every patient of the source dirty.
    /// Watermarks and file fingerprints advance in the same transaction. A quarantined input is recorded once per
    /// (origin, reason, <see cref="QuarantineItem.Fingerprint"/>): met again it adds nothing, while a different input at
    /// the same origin with the same reason is recorded too.
    /// </summary>
    Task<IngestOutcome> IngestAsync(string source, IngestBatch batch, CancellationToken cancellationToken);

    /// <summary>A watermark of a source, or null.</summary>
    Task<string?> GetWatermarkAsync(string source, string key, CancellationToken cancellationToken);

    /// <summary>The fingerprint a file had when it was last fully ingested, or null.</summary>
    Task<string?> GetFileFingerprintAsync(string source, string path, CancellationToken cancellationToken);

    /// <summary>Patients whose data changed since their last recompute, oldest change first.</summary>
    Task<IReadOnlyList<DirtyPatient>> GetDirtyPatientsAsync(string source, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Patients whose last recompute no longer holds by <paramref name="asOf"/> although no data changed: a subject's
    /// follow-up window that was open has closed (the projection's windows), or a Procedure that started after the
    /// as-of time they were judged at has started (<see cref="RecomputeCommit.JudgeAgainAt"/>).
    /// </summary>
    Task<IReadOnlyList<string>> GetPatientsToJudgeAgainAsync(string source, DateTimeOffset asOf, CancellationToken cancellationToken);

    /// <summary>The resources of one patient (latest versions).</summary>
    Task<IReadOnlyList<StoredResource>> GetPatientResourcesAsync(string source, string patient, CancellationToken cancellationToken);

    /// <summary>
    /// The resources of several patients at once (latest versions), in one read: for each patient asked for, exactly what
    /// <see cref="GetPatientResourcesAsync"/> gives (in type and id order), and an empty list for a patient with none.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<StoredResource>>> GetPatientsResourcesAsync(string source, IReadOnlyCollection<string> patients, CancellationToken cancellationToken);

    /// <summary>The shared resources (Location, Organization) of a source.</summary>
    Task<IReadOnlyList<StoredResource>> GetSharedResourcesAsync(string source, CancellationToken cancellationToken);

    /// <summary>The registry records last handed over for a patient, with the projection's version (see <see cref="RecomputeCommit.ProjectionVersion"/>).</summary>
    Task<PatientProjection> GetProjectionAsync(string source, string patient, CancellationToken cancellationToken);

    /// <summary>
    /// The projections of several patients at once, in one read: for each patient asked for, exactly what
    /// <see cref="GetProjectionAsync"/> gives (in record key order, with its version), and an empty list for a patient
    /// with none. Each patient's records and version are read together, so the version is the one of those records.
    /// </summary>
    Task<IReadOnlyDictionary<string, PatientProjection>> GetProjectionsAsync(string source, IReadOnlyCollection<string> patients, CancellationToken cancellationToken);

    /// <summary>
    /// Commits one patient's recompute in one transaction: replaces their projection and mapping-log entries, enqueues
    /// the change sets, and clears their dirty mark unless it changed again since <paramref name="generation"/>. Removes
    /// their stored detection (<see cref="GetDetectionsAsync"/>), which this call does not carry. Carries no projection
    /// version, so it is applied whatever the patient's (see <see cref="RecomputeCommit.ProjectionVersion"/>).
    /// </summary>
    Task CommitRecomputeAsync(
        string source,
        string patient,
        long? generation,
        IReadOnlyList<ProjectedRecord> projection,
        IReadOnlyList<QueuedChangeSet> changeSets,
        IReadOnlyList<MappingLogEntry> log,
        CancellationToken cancellationToken);

    /// <summary>
    /// Commits several patients' recomputes in ONE transaction, each as <see cref="CommitRecomputeAsync"/> does (and
    /// replacing the patient's stored detection with <see cref="RecomputeCommit.Detection"/>, and keeping their
    /// projection when <see cref="RecomputeCommit.ProjectionUnchanged"/>): all of them or none, so a crash loses nothing
    /// and repeats nothing, at one commit per batch instead of per patient. Records the patient no longer holds that
    /// another patient holds now are handed over: that patient loses them and is marked dirty (docs/registry.md).
    /// </summary>
    /// <remarks>
    /// A commit computed from a projection that is no longer current is dropped, not applied: when the patient's
    /// projection version is not <see cref="RecomputeCommit.ProjectionVersion"/> any more (a hand-over earlier in this
    /// batch or in an earlier one took records from them, or another instance committed them since), nothing of that
    /// commit is written (projection, change sets, mapping log, detection, dirty mark) and the patient is marked dirty,
    /// so they are recomputed from the current state; writing it would put back records a hand-over took, or queue an
    /// older change set after a newer one. Every applied commit, and every hand-over, advances the version of the
    /// patient whose projection it changes. On PostgreSQL the version is checked and advanced under the patient's
    /// advisory lock, so concurrent instances see each other's commits.
    /// </remarks>
    /// <returns>The commits dropped, in the list's order; almost always none.</returns>
    Task<IReadOnlyList<RecomputeCommit>> CommitRecomputesAsync(string source, IReadOnlyList<RecomputeCommit> commits, CancellationToken cancellationToken);

    /// <summary>The stored detections of a source's patients (see <see cref="RecomputeCommit.Detection"/>), in patient id order (ordinal).</summary>
    IAsyncEnumerable<StoredDetection> GetDetectionsAsync(string source, CancellationToken cancellationToken);

    /// <summary>Replaces the mapping-log entries of the source's shared resources (Locations, Organizations), recomputed every run.</summary>
    Task ReplaceSharedLogAsync(string source, IReadOnlyList<MappingLogEntry> log, CancellationToken cancellationToken);

    /// <summary>Change sets waiting to be sent, oldest first.</summary>
    Task<IReadOnlyList<OutboxItem>> GetPendingOutboxAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Marks change sets as accepted by the registry, in one transaction (the push marks them a few at a time).</summary>
    Task MarkOutboxSentAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt; <paramref name="dead"/> moves it to the dead letters with the registry's message
    /// (<paramref name="failure"/>). A dead letter also corrects the projection, in the same transaction, which had
    /// assumed the registry would apply it: its subject's rows lose their hashes (the registry may not hold what they
    /// say, so the patient's next recompute sends them again) and the rows it retracted come back (the registry still
    /// holds them, so the next recompute retracts them again). The patient is not marked dirty: a change set refused
    /// for good is sent again when an admin replays it (<see cref="ReplayOutboxAsync"/>) or the patient's data changes,
    /// not every run.
    /// </summary>
    Task MarkOutboxFailedAsync(long id, string failure, bool dead, CancellationToken cancellationToken);

    /// <summary>Counts of the outbox by state.</summary>
    Task<IReadOnlyDictionary<string, int>> GetOutboxCountsAsync(CancellationToken cancellationToken);

    /// <summary>How many dead letters have not been replayed yet: the ones waiting for an admin.</summary>
    Task<int> CountDeadLettersToReplayAsync(CancellationToken cancellationToken);

    /// <summary>Outbox items, newest first.</summary>
    /// <param name="state">One of <see cref="OutboxState.All"/>, or null for every state.</param>
    /// <param name="limit">The most items returned.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not an outbox state.</exception>
    Task<IReadOnlyList<OutboxItem>> GetOutboxAsync(string? state, int limit, CancellationToken cancellationToken);

    /// <summary>One outbox item, or null when there is none with that id.</summary>
    Task<OutboxItem?> GetOutboxItemAsync(long id, CancellationToken cancellationToken);

    /// <summary>
    /// Replays a dead letter, in one transaction: its patient is marked dirty, so the next run recomputes them and sends
    /// the subject's records as they are NOW (with the retractions the dead letter carried, which its death put back in
    /// the projection), never the old Bundle again. Resending the old text could roll the registry back: every change set
    /// carries the patient's Patient record and the study, which a later change set of another subject may have updated.
    /// The dead letter stays dead, with <see cref="OutboxItem.ReplayedAt"/> set, so history is kept. Nothing is done (and
    /// <see cref="OutboxReplay.Refusal"/> says why) when the item does not exist, is not dead, or was replayed already.
    /// </summary>
    Task<OutboxReplay> ReplayOutboxAsync(long id, CancellationToken cancellationToken);

    /// <summary>Replays every dead letter not replayed yet, oldest first, as <see cref="ReplayOutboxAsync"/> does each; one transaction.</summary>
    Task<IReadOnlyList<OutboxReplay>> ReplayDeadOutboxAsync(CancellationToken cancellationToken);

    /// <summary>Records the end of a source's run.</summary>
    Task RecordRunAsync(SourceRun run, CancellationToken cancellationToken);

    /// <summary>The last run of each source.</summary>
    Task<IReadOnlyList<SourceRun>> GetRunsAsync(CancellationToken cancellationToken);

    /// <summary>Every quarantined input of a source, in arrival order.</summary>
    Task<IReadOnlyList<QuarantineItem>> GetQuarantineAsync(string source, CancellationToken cancellationToken);

    /// <summary>Every patient of a source that has resources, in id order (for full reports).</summary>
    Task<IReadOnlyList<string>> GetPatientIdsAsync(string source, CancellationToken cancellationToken);

    /// <summary>A page of the mapping log, newest first, with the filters applied (admin surface, <c>fhirbridge log</c>).</summary>
    Task<MappingLogPage> QueryMappingLogAsync(MappingLogQuery query, CancellationToken cancellationToken);

    /// <summary>Every code of an <c>unmapped</c> decision, grouped by system and code, most decisions first.</summary>
    /// <param name="examples">The most example resources kept per code.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<IReadOnlyList<UnmappedCode>> GetUnmappedCodesAsync(int examples, CancellationToken cancellationToken);

    /// <summary>Every watermark of every source, by source then key.</summary>
    Task<IReadOnlyList<Watermark>> GetWatermarksAsync(CancellationToken cancellationToken);

    /// <summary>Every registry subject held in the projection, with its cohort group, index start and outcome.</summary>
    Task<IReadOnlyList<SubjectSummary>> GetSubjectsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Takes a named lock that is exclusive across every process sharing this store (for work that only one instance
    /// may do at a time, such as pushing the outbox). Never waits: returns null when another holder has it.
    /// </summary>
    /// <param name="name">What the lock guards, e.g. <c>push</c>; the same name means the same lock.</param>
    /// <param name="cancellationToken">Cancels taking it.</param>
    /// <returns>The held lock, released when disposed; or null when it is held elsewhere.</returns>
    Task<IStoreLock?> TryAcquireLockAsync(string name, CancellationToken cancellationToken);
}
