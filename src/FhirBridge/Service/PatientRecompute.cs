using FhirBridge.Cli.Telemetry;
using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Storage;
using Hl7.Fhir.Serialization;
using NodaTime;

namespace FhirBridge.Cli.Service;

/// <summary>
/// MAP, DETECT and RECONCILE for the patients of a source that need it: those whose data changed (dirty) and those
/// whose follow-up window closed since they were last judged, so <c>follow-up-open</c> becomes <c>no-return</c>
/// without new data. Each patient commits in one transaction: projection, change sets, mapping log, dirty mark.
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

        foreach (var patient in await store.GetPatientsWithClosedWindowsAsync(source.Name, asOf.ToDateTimeOffset(), cancellationToken))
        {
            changeSets += await RecomputeAsync(source, judge, registry, patient, null, asOf, cancellationToken);
            patients++;
            Report(progress, patients);
        }

        while (true)
        {
            var dirty = await store.GetDirtyPatientsAsync(source.Name, 200, cancellationToken);
            if (dirty.Count == 0)
            {
                break;
            }

            foreach (var d in dirty)
            {
                cancellationToken.ThrowIfCancellationRequested();
                changeSets += await RecomputeAsync(source, judge, registry, d.Patient, d.Generation, asOf, cancellationToken);
                patients++;
                Report(progress, patients);
            }
        }

        span?.SetTag("fhirbridge.patients", patients);
        span?.SetTag("fhirbridge.change_sets", changeSets);
        return new Summary(patients, changeSets);
    }

    /// <summary>Judges every patient of the source without changing anything (for full reports).</summary>
    public async Task JudgeAllAsync(SourceContext source, OffsetDateTime asOf, Action<PatientDetection> onPatient, CancellationToken cancellationToken)
    {
        var judge = await JudgeForAsync(source.Name, countDecisions: false, cancellationToken);
        foreach (var patient in await store.GetPatientIdsAsync(source.Name, cancellationToken))
        {
            var resources = await store.GetPatientResourcesAsync(source.Name, patient, cancellationToken);
            onPatient(judge.Judge(patient, resources.Select(r => r.Json), asOf, source.Zone).Detection);
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

    private async Task<int> RecomputeAsync(
        SourceContext source, PatientJudge judge, RegistryRecordBuilder registry, string patient, long? generation, OffsetDateTime asOf, CancellationToken cancellationToken)
    {
        var resources = await store.GetPatientResourcesAsync(source.Name, patient, cancellationToken);
        var (timeline, detection, log) = judge.Judge(patient, resources.Select(r => r.Json), asOf, source.Zone);
        var records = registry.Build(timeline, detection.Subjects);
        var previous = await store.GetProjectionAsync(source.Name, patient, cancellationToken);
        var (projection, changes) = Reconciler.Reconcile(source.Name, registry.Study(), records, previous, time.GetUtcNow());
        await store.CommitRecomputeAsync(
            source.Name,
            patient,
            generation,
            projection,
            [.. changes.Select(c => (c.SubjectKey, Serializer.SerializeToString(c.Transaction)))],
            log,
            cancellationToken);
        Count(source.Name, log);
        return changes.Count;
    }
}
