using FhirBridge.Timeline;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirBridge.Ingest;

/// <summary>
/// Reads from a parsed FHIR resource only what the rules and the registry need, into the timeline records.
/// Names, addresses, telecom, identifiers, narrative, notes and displays are never read, so they cannot leak downstream.
/// </summary>
public static class RecordProjector
{
    /// <summary>The resource types the rules read; others are accepted and counted, not kept.</summary>
    public static readonly IReadOnlySet<string> ReadTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "Patient", "Procedure", "Encounter", "Condition", "Location", "Organization", "ServiceRequest", "Observation",
    };

    /// <summary>Projects a resource.</summary>
    /// <param name="resource">The parsed, validated resource (it has an id).</param>
    /// <param name="resolve">Turns a reference into a key; inside a Bundle it also resolves the Bundle's <c>fullUrl</c>s.</param>
    /// <returns>The record, or null for a type the rules do not read.</returns>
    public static ITimelineRecord? Project(Resource resource, Func<string?, ResourceKey?> resolve)
    {
        var source = new SourceRef(new ResourceKey(resource.TypeName, resource.Id ?? throw new ArgumentException("the resource has no id", nameof(resource))), resource.Meta?.VersionId, resource.Meta?.LastUpdated);
        ResourceKey? Ref(ResourceReference? r) => resolve(r?.Reference);
        List<ResourceKey> Refs(IEnumerable<ResourceReference>? rs) => [.. (rs ?? []).Select(Ref).OfType<ResourceKey>()];

        return resource switch
        {
            Patient p => new PatientRecord(source, ClinicalTime.Parse(p.BirthDate), p.Gender?.GetLiteral()),
            Procedure p => new ProcedureRecord
            {
                Ref = source,
                Patient = Ref(p.Subject),
                Status = p.Status?.GetLiteral() ?? "unknown",
                Code = Concept(p.Code),
                Category = Concept(p.Category),
                Start = p.Performed switch
                {
                    FhirDateTime dt => ClinicalTime.Parse(dt.Value),
                    Period period => ClinicalTime.Parse(period.Start),
                    _ => null,
                },
                End = (p.Performed as Period)?.End is { } end ? ClinicalTime.Parse(end) : null,
                PartOf = Refs(p.PartOf),
                Encounter = Ref(p.Encounter),
                Location = Ref(p.Location),
                PerformerOrganizations = Refs(p.Performer.Select(x => x.OnBehalfOf).OfType<ResourceReference>()),
                BasedOn = Refs(p.BasedOn),
                ReasonCodes = [.. p.ReasonCode.Select(Concept)],
                ReasonReferences = Refs(p.ReasonReference),
            },
            Encounter e => new EncounterRecord
            {
                Ref = source,
                Patient = Ref(e.Subject),
                Status = e.Status?.GetLiteral() ?? "unknown",
                Locations = [.. e.Location
                    .Where(l => Ref(l.Location) is not null)
                    .Select(l => new EncounterLocation(Ref(l.Location)!.Value, ClinicalTime.Parse(l.Period?.Start), ClinicalTime.Parse(l.Period?.End)))],
                ServiceType = Concept(e.ServiceType),
                ServiceProvider = Ref(e.ServiceProvider),
                Diagnoses = [.. e.Diagnosis
                    .Where(d => Ref(d.Condition) is not null)
                    .Select(d => new EncounterDiagnosis(Ref(d.Condition)!.Value, d.Rank))],
            },
            Condition c => new ConditionRecord(source, Ref(c.Subject), Concept(c.Code), c.VerificationStatus?.Coding.FirstOrDefault()?.Code),
            Location l => new LocationRecord(source, [.. l.Type.Select(Concept)]),
            Organization o => new OrganizationRecord(source, [.. o.Type.Select(Concept)]),
            ServiceRequest s => new ServiceRequestRecord(source, Ref(s.Subject), s.Status?.GetLiteral() ?? "unknown", s.Intent?.GetLiteral() ?? "unknown", ClinicalTime.Parse(s.AuthoredOn)),
            Observation o => new ObservationRecord
            {
                Ref = source,
                Patient = Ref(o.Subject),
                Status = o.Status?.GetLiteral() ?? "unknown",
                Code = Concept(o.Code),
                Effective = o.Effective switch
                {
                    FhirDateTime dt => ClinicalTime.Parse(dt.Value),
                    Instant i => ClinicalTime.Parse(i.Value?.ToString("o", System.Globalization.CultureInfo.InvariantCulture)),
                    Period period => ClinicalTime.Parse(period.Start),
                    _ => null,
                },
                Value = o.Value is Quantity { Value: { } value } q ? new QuantityValue(value, q.Unit, q.System, q.Code) : null,
            },
            _ => null,
        };
    }

    private static CodedConcept Concept(CodeableConcept? concept) =>
        concept is null || concept.Coding.Count == 0
            ? CodedConcept.None
            : new CodedConcept([.. concept.Coding.Where(c => !string.IsNullOrWhiteSpace(c.Code)).Select(c => new SourceCoding(c.System, c.Code!))]);
}
