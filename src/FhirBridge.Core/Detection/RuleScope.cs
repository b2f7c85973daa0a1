using FhirBridge.MappingLog;
using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>
/// What every part of the rule reads while judging one patient: the timeline's lookups (withdrawn resources treated as
/// absent, missing ones logged once), the zone used to order date-only times, and the mapping log being written.
/// </summary>
internal sealed class RuleScope
{
    private readonly HashSet<(string, ResourceKey)> _missingLogged = [];

    public RuleScope(PatientTimeline timeline, StudyDefinition study, DateTimeZone? sourceZone, OffsetDateTime asOf, List<MappingLogEntry> log)
    {
        Timeline = timeline;
        Study = study;
        SourceZone = sourceZone;
        AsOf = asOf;
        Log = log;

        // Date-only times need a zone to be ordered against timestamps: the configured one, else the offset of the
        // patient's first timestamped Procedure (the hospital's own), else UTC.
        var firstTimestamp = timeline.Procedures.Select(p => p.Start?.Timestamp).FirstOrDefault(t => t is not null);
        OrderingZone = sourceZone ?? (firstTimestamp is { } first ? DateTimeZone.ForOffset(first.Offset) : DateTimeZone.Utc);
    }

    public PatientTimeline Timeline { get; }

    public StudyDefinition Study { get; }

    public DateTimeZone? SourceZone { get; }

    public OffsetDateTime AsOf { get; }

    public DateTimeZone OrderingZone { get; }

    public List<MappingLogEntry> Log { get; }

    public Instant InstantOf(ClinicalTime time) => time.ToInstant(OrderingZone);

    public EncounterRecord? Encounter(ResourceKey? key, SourceRef from, string clause) =>
        Find(Timeline.Encounters, key, from, clause) is { IsEnteredInError: false } e ? e : null;

    public ConditionRecord? Condition(ResourceKey key, SourceRef from, string clause) =>
        Find(Timeline.Conditions, key, from, clause) is { IsEnteredInError: false } c ? c : null;

    public ServiceRequestRecord? ServiceRequest(ResourceKey key, SourceRef from, string clause) =>
        Find(Timeline.ServiceRequests, key, from, clause) is { IsEnteredInError: false } s ? s : null;

    public LocationRecord? Location(ResourceKey? key, SourceRef from, string clause) => Find(Timeline.Locations, key, from, clause);

    public OrganizationRecord? Organization(ResourceKey? key, SourceRef from, string clause) => Find(Timeline.Organizations, key, from, clause);

    private TRecord? Find<TRecord>(IReadOnlyDictionary<ResourceKey, TRecord> records, ResourceKey? key, SourceRef from, string clause)
        where TRecord : class
    {
        if (key is not { } k)
        {
            return null;
        }

        if (records.TryGetValue(k, out var record))
        {
            return record;
        }

        // A referenced resource that is missing: the decision goes on without it, and the log says so.
        if (_missingLogged.Add((from.ToString(), k)))
        {
            Log.Add(new MappingLogEntry(from.ToString(), Decision.Missing, clause)
            {
                Evidence = [k.ToString()],
                Detail = $"{k} is referenced but not in the input; judged without it",
            });
        }

        return null;
    }
}
