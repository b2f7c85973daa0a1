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

        // Date-only times need a zone to be ordered against timestamps: the configured one, else the offset written
        // by the patient's earliest timestamped spine operation (the index's own offset, data.time), else by their
        // earliest timestamped Procedure, else UTC. Chosen by time, not input order, so file order cannot matter.
        var timestamped = timeline.Procedures
            .Where(p => p.Start?.Timestamp is not null && !p.IsEnteredInError)
            .OrderBy(p => p.Start!.Timestamp!.Value.ToInstant())
            .ThenBy(p => p.Ref.Key.Id, StringComparer.Ordinal)
            .ToList();
        var reference = timestamped.FirstOrDefault(p => p.Code.Has(study.IndexCategory)) ?? timestamped.FirstOrDefault();
        OrderingZone = sourceZone ?? (reference is null ? DateTimeZone.Utc : DateTimeZone.ForOffset(reference.Start!.Timestamp!.Value.Offset));
    }

    public PatientTimeline Timeline { get; }

    public StudyDefinition Study { get; }

    public DateTimeZone? SourceZone { get; }

    public OffsetDateTime AsOf { get; }

    public DateTimeZone OrderingZone { get; }

    public List<MappingLogEntry> Log { get; }

    public Instant InstantOf(ClinicalTime time) => time.ToInstant(OrderingZone);

    public Instant EndInstantOf(ClinicalTime time) => time.ToEndInstant(OrderingZone);

    /// <summary>The Encounter a record points to, as the rules compare it: a withdrawn Encounter is no Encounter (data.withdrawn).</summary>
    public ResourceKey? EncounterKey(ResourceKey? key) =>
        key is { } k && Timeline.Encounters.TryGetValue(k, out var e) && e.IsEnteredInError ? null : key;

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
