using System.Text.Json;
using FhirBridge.Cli.Telemetry;
using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Reporting;
using FhirBridge.Storage;
using Hl7.Fhir.Serialization;
using NodaTime;

namespace FhirBridge.Cli.Service;

/// <summary>
/// MAP, DETECT and RECONCILE for the patients of a source that need it: those whose data changed (dirty) and those
/// whose follow-up window closed since they were last judged, so <c>follow-up-open</c> becomes <c>no-return</c>
/// without new data. Patients commit in batches, each in one transaction: projection, change sets, mapping log,
/// detection, dirty marks.
/// </summary>
public sealed class PatientRecompute(
    IStateStore store,
    CategoryMaps maps,
    UnplannedReturnRule rule,
    Pseudonymizer pseudonyms,
    RegistrySettings registrySettings,
    TimeProvider time,
    FhirBridgeMetrics metrics)
{
    private static readonly FhirJsonSerializer Serializer = new();

    // Patients per transaction: large enough that commits cost little, small enough that a batch is little memory.
    private const int CommitBatch = 200;

    /// <summary>What a recompute did.</summary>
    public sealed record Summary(int Patients, int ChangeSets);

    /// <summary>Recomputes every patient of the source that needs it, as of <paramref name="asOf"/>.</summary>
    /// <param name="source">The source.</param>
    /// <param name="asOf">The as-of time.</param>
    /// <param name="progress">Told the number of patients recomputed so far, now and then (a long backfill shows progress).</param>
    /// <param name="cancellationToken">Stops after the patient being committed.</param>
    public async Task<Summary> RunAsync(SourceContext source, OffsetDateTime asOf, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        using var span = FhirBridgeTelemetry.Spans.StartActivity("fhirbridge.recompute");
        span?.SetTag(FhirBridgeTelemetry.SourceTag, source.Name);
        var judge = await JudgeForAsync(source.Name, countDecisions: true, cancellationToken);
        var registry = new RegistryRecordBuilder(source.Name, rule.Study, pseudonyms, registrySettings);
        int patients = 0, changeSets = 0;

        // Patients are committed in batches, each batch in one transaction (projection, change sets, mapping log,
        // detection, dirty marks): a kill loses or repeats no patient's work, at one commit per batch.
        var batch = new List<(RecomputeCommit Commit, IReadOnlyList<MappingLogEntry> Log)>(CommitBatch);
        async Task FlushAsync()
        {
            if (batch.Count > 0)
            {
                await store.CommitRecomputesAsync(source.Name, [.. batch.Select(b => b.Commit)], CancellationToken.None);
                foreach (var (_, log) in batch)
                {
                    Count(source.Name, log);
                }

                batch.Clear();
            }
        }

        async Task StepAsync(string patient, long? generation)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await FlushAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            var (commit, changes) = await RecomputeAsync(source, judge, registry, patient, generation, asOf, cancellationToken);
            batch.Add((commit, commit.Log));
            changeSets += changes;
            patients++;
            if (batch.Count >= CommitBatch)
            {
                await FlushAsync();
            }

            Report(progress, patients);
        }

        foreach (var patient in await store.GetPatientsWithClosedWindowsAsync(source.Name, asOf.ToDateTimeOffset(), cancellationToken))
        {
            await StepAsync(patient, null);
        }

        await FlushAsync();
        while (true)
        {
            var dirty = await store.GetDirtyPatientsAsync(source.Name, CommitBatch, cancellationToken);
            if (dirty.Count == 0)
            {
                break;
            }

            foreach (var d in dirty)
            {
                await StepAsync(d.Patient, d.Generation);
            }

            await FlushAsync();
        }

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

    private async Task<(RecomputeCommit Commit, int ChangeSets)> RecomputeAsync(
        SourceContext source, PatientJudge judge, RegistryRecordBuilder registry, string patient, long? generation, OffsetDateTime asOf, CancellationToken cancellationToken)
    {
        var resources = await store.GetPatientResourcesAsync(source.Name, patient, cancellationToken);
        var (timeline, detection, log) = judge.Judge(patient, resources.Select(r => r.Json), asOf, source.Zone);
        var records = registry.Build(timeline, detection.Subjects);
        var previous = await store.GetProjectionAsync(source.Name, patient, cancellationToken);
        var (projection, changes) = Reconciler.Reconcile(source.Name, registry.Study(), records, previous, time.GetUtcNow());
        var commit = new RecomputeCommit(
            patient,
            generation,
            projection,
            [.. changes.Select(c => (c.SubjectKey, Serializer.SerializeToString(c.Transaction)))],
            log,
            StoredResult.Write(detection, asOf));
        return (commit, changes.Count);
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
