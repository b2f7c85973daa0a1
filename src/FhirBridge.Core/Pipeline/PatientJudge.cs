using FhirBridge.Detection;
using FhirBridge.Ingest;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Pipeline;

/// <summary>
/// INGEST (from stored JSON), MAP and DETECT for one patient at a time, over a source's shared Locations and
/// Organizations mapped once: what the service runs for every patient whose data changed.
/// </summary>
public sealed class PatientJudge
{
    private readonly FhirInputReader _reader = new();
    private readonly CategoryMaps _maps;
    private readonly TimelineMapper _mapper;
    private readonly UnplannedReturnRule _rule;
    private readonly IReadOnlyDictionary<ResourceKey, LocationRecord> _locations;
    private readonly IReadOnlyDictionary<ResourceKey, OrganizationRecord> _organizations;

    /// <summary>Reads and maps the shared resources once.</summary>
    /// <param name="maps">The mappings.</param>
    /// <param name="rule">The study rule.</param>
    /// <param name="shared">The source's Locations and Organizations as JSON.</param>
    /// <param name="sharedLog">Receives their mapping decisions.</param>
    public PatientJudge(CategoryMaps maps, UnplannedReturnRule rule, IEnumerable<string> shared, ICollection<MappingLogEntry> sharedLog)
    {
        _maps = maps;
        _mapper = new TimelineMapper(maps);
        _rule = rule;
        var records = shared.SelectMany(json => _reader.ReadJson(json, "store")).Select(r => r.Record).ToList();
        (_locations, _organizations) = _mapper.MapShared(records.OfType<LocationRecord>(), records.OfType<OrganizationRecord>(), sharedLog);
    }

    private PatientJudge(PatientJudge other)
    {
        _maps = other._maps;
        _mapper = new TimelineMapper(_maps);
        _rule = other._rule;
        _locations = other._locations;
        _organizations = other._organizations;
    }

    /// <summary>
    /// A judge over the same mapped shared resources with caches of its own, for another thread: a judge is not
    /// thread-safe (its reader and its mapper's translation cache are not), but two judges side by side give the same
    /// results as one (the cache holds pure translations).
    /// </summary>
    public PatientJudge Fork() => new(this);

    /// <summary>Judges one patient from their stored resources.</summary>
    public (PatientTimeline Timeline, PatientDetection Detection, IReadOnlyList<MappingLogEntry> Log) Judge(
        string patientId, IEnumerable<string> resources, OffsetDateTime asOf, DateTimeZone? zone)
    {
        var store = new TimelineStore();
        foreach (var json in resources)
        {
            // Stored resources were validated when ingested: the fast reader gives the same records without Firely,
            // and hands back anything it does not recognise exactly.
            if (StoredResourceReader.TryRead(json, "store", out var fast))
            {
                store.Add(fast!);
                continue;
            }

            foreach (var result in _reader.ReadJson(json, "store"))
            {
                store.Add(result);
            }
        }

        // A patient left with no Procedure still gets judged: no subject, so reconcile retracts what they had.
        var timeline = store.Timelines(_locations, _organizations).SingleOrDefault()
            ?? new PatientTimeline { Patient = new ResourceKey("Patient", patientId), Locations = _locations, Organizations = _organizations };
        var log = new List<MappingLogEntry>();
        var mapped = _mapper.Map(timeline, log);
        var detection = _rule.Evaluate(mapped, asOf, zone);
        log.AddRange(detection.Log);
        return (mapped, detection, log);
    }
}
