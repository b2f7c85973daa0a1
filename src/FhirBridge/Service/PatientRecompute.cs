using System.Text.Json;
using FhirBridge.Cli.Push;
using FhirBridge.Cli.Telemetry;
using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Reporting;
using FhirBridge.Storage;
using NodaTime;

namespace FhirBridge.Cli.Service;

/// <summary>
/// MAP, DETECT and RECONCILE for the patients of a source that need it: those whose data changed (dirty), and those
/// whose last judgement stopped holding as time passed without new data: a follow-up window closed, so
/// <c>follow-up-open</c> becomes <c>no-return</c>, or a Procedure that started after the as-of time they were judged
/// at has now started (spec, data handling: "As-of"). Patients commit in batches, each in one transaction:
/// projection, change sets, mapping log, detection, dirty marks.
/// </summary>
/// <param name="store">The state store.</param>
/// <param name="maps">The category maps.</param>
/// <param name="rule">The detection rule.</param>
/// <param name="pseudonyms">Pseudonymizes the registry records.</param>
/// <param name="registrySettings">How registry records are built.</param>
/// <param name="time">Provenance times.</param>
/// <param name="metrics">Mapping decisions.</param>
/// <param name="validation">Checks each new change set, so the push need not; none (and no verdict stored) when null.</param>
public sealed class PatientRecompute(
    IStateStore store,
    CategoryMaps maps,
    UnplannedReturnRule rule,
    Pseudonymizer pseudonyms,
    RegistrySettings registrySettings,
    TimeProvider time,
    FhirBridgeMetrics metrics,
    ChangeSetValidation? validation = null)
{
    // Patients per transaction: large enough that commits cost little, small enough that a batch is little memory.
    private const int CommitBatch = 200;

    /// <summary>What a recompute did.</summary>
    public sealed record Summary(int Patients, int ChangeSets);

    /// <summary>Recomputes every patient of the source that needs it, as of <paramref name="asOf"/>.</summary>
    /// <param name="source">The source.</param>
    /// <param name="asOf">The as-of time.</param>
    /// <param name="progress">Told the number of patients recomputed so far, now and then (a long backfill shows progress).</param>
    /// <param name="cancellationToken">
    /// Stops after the batch being committed: the batch being computed is dropped, and its patients stay dirty for the
    /// next run.
    /// </param>
    /// <remarks>
    /// The patients of a batch are read in two queries and computed on every core (judging, building and reconciling
    /// one patient is a pure function of their resources and projection); batches are committed strictly in order,
    /// each in one transaction, while the next batch is computed. So what is committed, in which transaction and in
    /// which order (outbox ids, mapping-log positions), is what computing one patient at a time gives. A patient's
    /// commit computed from a projection that changed before it was committed (a hand-over by a patient committed before
    /// them, or another instance) is dropped by the store and the patient marked dirty again: they come back in a later
    /// batch, read afresh, and the summary counts them once, for the recompute that was applied.
    /// </remarks>
    public async Task<Summary> RunAsync(SourceContext source, OffsetDateTime asOf, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        using var span = FhirBridgeTelemetry.Spans.StartActivity("fhirbridge.recompute");
        span?.SetTag(FhirBridgeTelemetry.SourceTag, source.Name);
        var judge = await JudgeForAsync(source.Name, countDecisions: true, cancellationToken);
        var registry = new RegistryRecordBuilder(source.Name, rule.Study, pseudonyms, registrySettings);

        // A judge is not thread-safe: each worker has its own over the same shared resources.
        var judges = new PatientJudge[Math.Clamp(Environment.ProcessorCount, 1, 8)];
        judges[0] = judge;
        for (var w = 1; w < judges.Length; w++)
        {
            judges[w] = judge.Fork();
        }

        int patients = 0, changeSets = 0;

        // The commit of the last batch computed, running while the next one is computed; and which dirty marks it
        // clears (a patient marked again since keeps their mark, and is recomputed again).
        Task<IReadOnlyList<RecomputeCommit>>? committing = null;
        IReadOnlyList<RecomputeCommit> committed = [];
        var inFlight = new HashSet<(string Patient, long? Generation)>();

        async Task DrainAsync()
        {
            if (committing is { } task)
            {
                committing = null;
                IReadOnlyList<RecomputeCommit> dropped;
                try
                {
                    dropped = await task;
                }
                finally
                {
                    inFlight.Clear();
                }

                // A dropped commit (computed from a projection that changed since it was read) wrote nothing, and its
                // patient is dirty again: it is not counted, and the patient's recompute in a later batch is.
                var skipped = dropped.ToHashSet(ReferenceEqualityComparer.Instance);
                foreach (var commit in committed)
                {
                    if (skipped.Contains(commit))
                    {
                        patients--;
                        changeSets -= commit.ChangeSets.Count;
                    }
                    else
                    {
                        Count(source.Name, commit.Log);
                    }
                }
            }
        }

        async Task StepAsync(IReadOnlyList<(string Patient, long? Generation)> batch)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A patient whose previous recompute is still being committed is read only after that commit.
            var busy = inFlight.Select(f => f.Patient).ToHashSet(StringComparer.Ordinal);
            if (batch.Any(b => busy.Contains(b.Patient)))
            {
                await DrainAsync();
            }

            var commits = await ComputeAsync(source, judges, registry, batch, asOf, cancellationToken);
            await DrainAsync();
            foreach (var commit in commits)
            {
                changeSets += commit.ChangeSets.Count;
                patients++;
                Report(progress, patients);
            }

            // Microsoft.Data.Sqlite runs "async" calls synchronously: the commit gets a thread of its own.
            committed = commits;
            inFlight.UnionWith(batch);
            committing = Task.Run(() => store.CommitRecomputesAsync(source.Name, commits, CancellationToken.None), CancellationToken.None);
        }

        try
        {
            // Patients are committed in batches, each batch in one transaction (projection, change sets, mapping log,
            // detection, dirty marks): a kill loses or repeats no patient's work, at one commit per batch.
            var due = await store.GetPatientsToJudgeAgainAsync(source.Name, asOf.ToDateTimeOffset(), cancellationToken);
            foreach (var batch in due.Select(p => (p, (long?)null)).Chunk(CommitBatch))
            {
                await StepAsync(batch);
            }

            await DrainAsync();
            while (true)
            {
                // The batch being committed clears its patients' marks: the next batch is the one after them.
                var dirty = await store.GetDirtyPatientsAsync(source.Name, CommitBatch + inFlight.Count, cancellationToken);
                var batch = dirty.Select(d => (d.Patient, (long?)d.Generation)).Where(d => !inFlight.Contains(d)).Take(CommitBatch).ToList();
                if (batch.Count == 0)
                {
                    if (committing is null)
                    {
                        break;
                    }

                    await DrainAsync();
                    continue;
                }

                await StepAsync(batch);
            }
        }
        catch
        {
            // Never leave a commit running: whatever stopped the run, the batch already handed over is committed (or
            // has failed) when this returns; the first failure is the one reported.
            try
            {
                await DrainAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // That batch is rolled back and its patients stay dirty; the failure that stopped the run is rethrown.
            }

            throw;
        }

        await DrainAsync();

        span?.SetTag("fhirbridge.patients", patients);
        span?.SetTag("fhirbridge.change_sets", changeSets);
        return new Summary(patients, changeSets);
    }

    /// <summary>
    /// Adds every patient of the source to a full report as of <paramref name="asOf"/>: the detection stored by their last
    /// recompute when it is the same as judging again now would give (<see cref="StoredResult"/>), else judged again
    /// from their resources, read-only.
    /// </summary>
    public async Task ReportAllAsync(SourceContext source, OffsetDateTime asOf, DetectionReport report, CancellationToken cancellationToken)
    {
        PatientJudge? judge = null;
        var dirty = (await store.GetDirtyPatientsAsync(source.Name, int.MaxValue, cancellationToken)).Select(d => d.Patient).ToHashSet(StringComparer.Ordinal);
        var patients = await store.GetPatientIdsAsync(source.Name, cancellationToken);
        await using var stored = store.GetDetectionsAsync(source.Name, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var more = await stored.MoveNextAsync();
        foreach (var patient in patients)
        {
            while (more && string.CompareOrdinal(stored.Current.Patient, patient) < 0)
            {
                more = await stored.MoveNextAsync();
            }

            if (more && stored.Current.Patient == patient && !dirty.Contains(patient) && StoredResult.Read(stored.Current.Json) is { } result && result.Holds(asOf))
            {
                report.Add(result.Subjects, result.Excluded);
                continue;
            }

            judge ??= await JudgeForAsync(source.Name, countDecisions: false, cancellationToken);
            var resources = await store.GetPatientResourcesAsync(source.Name, patient, cancellationToken);
            report.Add(judge.Judge(patient, resources.Select(r => r.Json), asOf, source.Zone).Detection);
        }
    }

    private void Count(string source, IEnumerable<MappingLogEntry> log)
    {
        foreach (var entry in log)
        {
            metrics.Decided(source, entry.Decision);
        }
    }

    private static void Report(IProgress<int>? progress, int patients)
    {
        if (patients % 500 == 0)
        {
            progress?.Report(patients);
        }
    }

    // countDecisions: a recompute counts the shared resources' decisions (locations, organizations) it makes; a
    // read-only judgement for a report does not.
    private async Task<PatientJudge> JudgeForAsync(string source, bool countDecisions, CancellationToken cancellationToken)
    {
        var sharedLog = new List<MappingLogEntry>();
        var shared = await store.GetSharedResourcesAsync(source, cancellationToken);
        var judge = new PatientJudge(maps, rule, shared.Select(r => r.Json), sharedLog);
        await store.ReplaceSharedLogAsync(source, sharedLog, cancellationToken);
        if (countDecisions)
        {
            Count(source, sharedLog);
        }
        return judge;
    }

    // One batch: its patients' resources and projections read in two queries, then each patient computed on one of the
    // judges' threads; the commits in the batch's order.
    private async Task<RecomputeCommit[]> ComputeAsync(
        SourceContext source, PatientJudge[] judges, RegistryRecordBuilder registry, IReadOnlyList<(string Patient, long? Generation)> batch, OffsetDateTime asOf, CancellationToken cancellationToken)
    {
        var names = batch.Select(b => b.Patient).Distinct(StringComparer.Ordinal).ToList();
        var resources = await store.GetPatientsResourcesAsync(source.Name, names, cancellationToken);
        var projections = await store.GetProjectionsAsync(source.Name, names, cancellationToken);
        var commits = new RecomputeCommit[batch.Count];
        var next = -1;
        void Work(PatientJudge judge)
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batch.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (patient, generation) = batch[i];
                commits[i] = Recompute(source, judge, registry, patient, generation, resources[patient], projections[patient], asOf);
            }
        }

        var workers = judges.Take(Math.Min(judges.Length, batch.Count)).ToList();
        await Task.WhenAll(workers.Skip(1).Select(j => Task.Run(() => Work(j), CancellationToken.None)).Append(Task.Run(() => Work(workers[0]), CancellationToken.None)));
        return commits;
    }

    private RecomputeCommit Recompute(
        SourceContext source, PatientJudge judge, RegistryRecordBuilder registry, string patient, long? generation,
        IReadOnlyList<StoredResource> resources, PatientProjection previous, OffsetDateTime asOf)
    {
        var (timeline, detection, log) = judge.Judge(patient, resources.Select(r => r.Json), asOf, source.Zone);
        var records = registry.Build(timeline, detection.Subjects);
        var (projection, changes) = Reconciler.Reconcile(source.Name, registry.Study(), records, previous, time.GetUtcNow());

        // The profile check, once, on the objects just built and on this core (docs/registry.md, "Validation"): a
        // change set found conforming carries the check's fingerprint, and the push sends it without reading it back.
        var checkedBy = validation?.CheckedBy(changes) ?? new string?[changes.Count];
        return new RecomputeCommit(
            patient,
            generation,
            projection,
            [.. changes.Select((c, i) => new QueuedChangeSet(c.SubjectKey, c.Json, checkedBy[i]) { Retracted = c.Retracted })],
            log,
            StoredResult.Write(detection, asOf))
        {
            ProjectionUnchanged = SameRecords(projection, previous),
            ProjectionVersion = previous.Version,
            JudgeAgainAt = detection.JudgeAgainAt?.ToDateTimeOffset(),
        };
    }

    // The same records as read, whatever their order: same keys, subjects, hashes, texts and windows.
    private static bool SameRecords(IReadOnlyList<ProjectedRecord> projection, PatientProjection previous)
    {
        if (projection.Count != previous.Count)
        {
            return false;
        }

        var held = new Dictionary<string, ProjectedRecord>(previous.Count, StringComparer.Ordinal);
        foreach (var record in previous)
        {
            held[record.RecordKey] = record;
        }

        foreach (var record in projection)
        {
            if (!held.TryGetValue(record.RecordKey, out var before) || before != record)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A patient's detection as stored for reports: the report's lines and the as-of time they were judged at. The
    /// rule reads the as-of time in two places only: Procedures after it do not exist yet (logged under
    /// <see cref="Clause.AsOf"/>), and a window still open is <c>follow-up-open</c>. A result with neither holds for any
    /// later time at the same offset; any other holds for exactly its own as-of time.
    /// </summary>
    internal sealed record StoredResult(
        DateTimeOffset AsOf, bool AsOfSensitive, IReadOnlyList<DetectionReport.SubjectEntry> Subjects, IReadOnlyList<DetectionReport.ExcludedEntry> Excluded)
    {
        public static string Write(PatientDetection detection, OffsetDateTime asOf)
        {
            var (subjects, excluded) = DetectionReport.EntriesOf(detection);
            var sensitive = detection.Subjects.Any(s => s.Outcome == Outcome.FollowUpOpen) || detection.Log.Any(e => e.Rule == Clause.AsOf);
            return JsonSerializer.Serialize(new StoredResult(asOf.ToDateTimeOffset(), sensitive, subjects, excluded));
        }

        public static StoredResult? Read(string json)
        {
            try
            {
                return JsonSerializer.Deserialize<StoredResult>(json);
            }
            catch (JsonException)
            {
                return null; // judged again
            }
        }

        public bool Holds(OffsetDateTime asOf)
        {
            var at = asOf.ToDateTimeOffset();
            return AsOf.EqualsExact(at) || (!AsOfSensitive && AsOf.Offset == at.Offset && AsOf <= at);
        }
    }
}
