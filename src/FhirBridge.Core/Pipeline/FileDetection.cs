using FhirBridge.Detection;
using FhirBridge.Ingest;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Pipeline;

/// <summary>
/// Runs INGEST, MAP and DETECT over files for one source, in that order, and hands each patient's result to the
/// caller: what <c>fhirbridge detect</c> does. Bad input is quarantined and the run goes on.
/// </summary>
public sealed class FileDetection(CategoryMaps maps, UnplannedReturnRule rule)
{
    /// <summary>What a run read: accepted resources by type and the quarantined inputs.</summary>
    public sealed record Summary(IReadOnlyDictionary<string, int> AcceptedByType, IReadOnlyList<IngestResult> Quarantined, int Patients);

    /// <summary>Reads the inputs and judges every patient.</summary>
    /// <param name="inputs">Files or directories of FHIR JSON / NDJSON.</param>
    /// <param name="asOf">The as-of time.</param>
    /// <param name="sourceZone">The source's zone, or null for each index operation's own offset.</param>
    /// <param name="onPatient">Called once per patient with the mapped timeline, the detection, and the mapping decisions.</param>
    /// <param name="onLog">Called with mapping-log entries not tied to one patient (quarantine, shared resources).</param>
    /// <exception cref="FileNotFoundException">An input path does not exist.</exception>
    public Summary Run(
        IReadOnlyList<string> inputs,
        OffsetDateTime asOf,
        DateTimeZone? sourceZone,
        Action<PatientTimeline, PatientDetection, IReadOnlyList<MappingLogEntry>> onPatient,
        Action<MappingLogEntry> onLog)
    {
        foreach (var input in inputs)
        {
            if (!File.Exists(input) && !Directory.Exists(input))
            {
                throw new FileNotFoundException($"input not found: {input}", input);
            }
        }

        // INGEST
        var store = new TimelineStore();
        var reader = new FhirInputReader();
        foreach (var input in inputs)
        {
            foreach (var result in reader.ReadPath(input))
            {
                store.Add(result);
            }
        }

        foreach (var q in store.Quarantined)
        {
            onLog(new MappingLogEntry(q.Origin, Decision.Quarantined, Clause.BadInput, "invalid-input")
            {
                Detail = (q.ResourceType is null ? string.Empty : q.ResourceType + ": ") + q.QuarantineReason,
            });
        }

        // MAP (shared resources once), then MAP and DETECT per patient.
        var mapper = new TimelineMapper(maps);
        var shared = new List<MappingLogEntry>();
        var (locations, organizations) = mapper.MapShared(store.Locations, store.Organizations, shared);
        shared.ForEach(onLog);

        var patients = 0;
        foreach (var timeline in store.Timelines(locations, organizations))
        {
            var log = new List<MappingLogEntry>();
            var mapped = mapper.Map(timeline, log);
            var detection = rule.Evaluate(mapped, asOf, sourceZone);
            log.AddRange(detection.Log);
            onPatient(mapped, detection, log);
            patients++;
        }

        return new Summary(store.AcceptedByType, store.Quarantined, patients);
    }
}
