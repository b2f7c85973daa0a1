using FhirBridge.Timeline;

namespace FhirBridge.Ingest;

/// <summary>
/// Collects ingested records in memory for one source: keeps the latest version of each resource (highest
/// <c>meta.versionId</c>, then latest <c>meta.lastUpdated</c>, in any order of files or pages: spec, "Data handling:
/// Versions"), the quarantined inputs, and counts; then hands out one timeline per patient. The service's persistent
/// store replaces it for scheduled pulls; <c>fhirbridge detect</c> uses it as is.
/// </summary>
public sealed class TimelineStore
{
    private readonly Dictionary<ResourceKey, (SourceRef Ref, ITimelineRecord Record)> _latest = [];
    private readonly List<IngestResult> _quarantined = [];
    private readonly SortedDictionary<string, int> _counts = new(StringComparer.Ordinal);

    /// <summary>The inputs quarantined, in input order.</summary>
    public IReadOnlyList<IngestResult> Quarantined => _quarantined;

    /// <summary>Resources accepted, by type (all versions counted).</summary>
    public IReadOnlyDictionary<string, int> AcceptedByType => _counts;

    /// <summary>Adds one ingest result.</summary>
    public void Add(IngestResult result)
    {
        if (result.IsQuarantined)
        {
            _quarantined.Add(result);
            return;
        }

        var type = result.ResourceType ?? "unknown";
        _counts[type] = _counts.GetValueOrDefault(type) + 1;
        if (result.Record is null)
        {
            return;
        }

        var source = result.Record.Ref;
        if (!_latest.TryGetValue(source.Key, out var held) || source.IsNewerThan(held.Ref))
        {
            _latest[source.Key] = (source, result.Record);
        }
    }

    /// <summary>The Locations of the source.</summary>
    public IEnumerable<LocationRecord> Locations => _latest.Values.Select(v => v.Record).OfType<LocationRecord>();

    /// <summary>The Organizations of the source.</summary>
    public IEnumerable<OrganizationRecord> Organizations => _latest.Values.Select(v => v.Record).OfType<OrganizationRecord>();

    /// <summary>One timeline per patient who has a Procedure (the only resource that can make a subject), in patient order.</summary>
    /// <param name="locations">The (mapped) Locations to share with every timeline.</param>
    /// <param name="organizations">The (mapped) Organizations to share with every timeline.</param>
    public IEnumerable<PatientTimeline> Timelines(
        IReadOnlyDictionary<ResourceKey, LocationRecord> locations,
        IReadOnlyDictionary<ResourceKey, OrganizationRecord> organizations)
    {
        var byPatient = new SortedDictionary<string, Bucket>(StringComparer.Ordinal);
        Bucket BucketOf(ResourceKey patient)
        {
            if (!byPatient.TryGetValue(patient.ToString(), out var bucket))
            {
                byPatient[patient.ToString()] = bucket = new Bucket(patient);
            }

            return bucket;
        }

        foreach (var (_, record) in _latest.Values)
        {
            switch (record)
            {
                case PatientRecord p: BucketOf(p.Ref.Key).Patient = p; break;
                case ProcedureRecord p when p.Patient is { } k: BucketOf(k).Procedures.Add(p); break;
                case EncounterRecord e when e.Patient is { } k: BucketOf(k).Encounters[e.Ref.Key] = e; break;
                case ConditionRecord c when c.Patient is { } k: BucketOf(k).Conditions[c.Ref.Key] = c; break;
                case ServiceRequestRecord s when s.Patient is { } k: BucketOf(k).ServiceRequests[s.Ref.Key] = s; break;
                case ObservationRecord o when o.Patient is { } k: BucketOf(k).Observations.Add(o); break;
            }
        }

        return byPatient.Values
            .Where(b => b.Procedures.Count > 0)
            .Select(b => new PatientTimeline
            {
                Patient = b.Key,
                PatientResource = b.Patient,
                Procedures = [.. b.Procedures.OrderBy(p => p.Ref.Key.Id, StringComparer.Ordinal)],
                Encounters = b.Encounters,
                Conditions = b.Conditions,
                ServiceRequests = b.ServiceRequests,
                Observations = [.. b.Observations.OrderBy(o => o.Ref.Key.Id, StringComparer.Ordinal)],
                Locations = locations,
                Organizations = organizations,
            });
    }

    private sealed class Bucket(ResourceKey key)
    {
        public ResourceKey Key { get; } = key;

        public PatientRecord? Patient { get; set; }

        public List<ProcedureRecord> Procedures { get; } = [];

        public Dictionary<ResourceKey, EncounterRecord> Encounters { get; } = [];

        public Dictionary<ResourceKey, ConditionRecord> Conditions { get; } = [];

        public Dictionary<ResourceKey, ServiceRequestRecord> ServiceRequests { get; } = [];

        public List<ObservationRecord> Observations { get; } = [];
    }
}
