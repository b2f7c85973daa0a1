using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Builders;

/// <summary>
/// Builds one patient's timeline with the standard Locations (operating room, ward) and Organizations (orthopaedics,
/// neurosurgery), maps it through the real mappings (<see cref="TimelineMapper.MapShared"/> then
/// <see cref="TimelineMapper.Map"/>) and evaluates the rule.
/// </summary>
public sealed class TimelineBuilder
{
    /// <summary>The standard operating room: Location/theatre, type SNOMED CT 225738002.</summary>
    public const string TheatreLocation = "theatre";

    /// <summary>The standard ward: Location/ward, type SNOMED CT 225746001.</summary>
    public const string WardLocation = "ward";

    /// <summary>Organization/ortho, type SNOMED CT 394801008 Trauma and orthopedics.</summary>
    public const string OrthopaedicsOrganization = "ortho";

    /// <summary>Organization/neuro, type SNOMED CT 394610002 Neurosurgery.</summary>
    public const string NeurosurgeryOrganization = "neuro";

    /// <summary>The zone used unless a test says otherwise.</summary>
    public const string Shanghai = "Asia/Shanghai";

    /// <summary>An as-of time after every window of the 2024 data the tests use.</summary>
    public const string LongAfter = "2025-06-01T00:00:00+08:00";

    /// <summary>The standard index operation's start.</summary>
    public const string IndexStart = "2024-03-01T09:00:00+08:00";

    private readonly ResourceKey _patient;
    private readonly List<ProcedureBuilder> _procedures = [];
    private readonly List<EncounterBuilder> _encounters = [];
    private readonly List<ConditionRecord> _conditions = [];
    private readonly List<ServiceRequestRecord> _serviceRequests = [];
    private readonly List<ObservationRecord> _observations = [];
    private readonly List<LocationRecord> _locations =
    [
        new(RefOf("Location", TheatreLocation), [Concept(Codes.Snomed, Codes.OperatingRoom)]),
        new(RefOf("Location", WardLocation), [Concept(Codes.Snomed, Codes.Ward)]),
    ];

    private readonly List<OrganizationRecord> _organizations =
    [
        new(RefOf("Organization", OrthopaedicsOrganization), [Concept(Codes.Snomed, Codes.TraumaAndOrthopedics)]),
        new(RefOf("Organization", NeurosurgeryOrganization), [Concept(Codes.Snomed, Codes.Neurosurgery)]),
    ];

    private PatientRecord? _patientResource;

    /// <summary>Starts a timeline for Patient/<paramref name="patientId"/>, born 1970-05-01 unless <see cref="Born"/> says otherwise.</summary>
    public TimelineBuilder(string patientId = "p1")
    {
        _patient = new ResourceKey("Patient", patientId);
        _patientResource = new PatientRecord(RefOf("Patient", patientId), Time.Clinical("1970-05-01"), "female");
    }

    /// <summary>The Patient's <c>birthDate</c> (a FHIR date, possibly partial).</summary>
    public TimelineBuilder Born(string birthDate)
    {
        _patientResource = new PatientRecord(RefOf("Patient", _patient.Id), Time.Clinical(birthDate), "female");
        return this;
    }

    /// <summary>The source did not send the Patient resource.</summary>
    public TimelineBuilder WithoutPatientResource()
    {
        _patientResource = null;
        return this;
    }

    /// <summary>Adds a Procedure.</summary>
    public TimelineBuilder Procedure(string id, Action<ProcedureBuilder> configure)
    {
        var builder = new ProcedureBuilder(id, _patient);
        configure(builder);
        _procedures.Add(builder);
        return this;
    }

    /// <summary>Adds a standard index operation: a lumbar fusion (81.07) in theatre by orthopaedics, then <paramref name="more"/>.</summary>
    public TimelineBuilder SpineIndex(string id = "op1", string start = IndexStart, string? end = null, Action<ProcedureBuilder>? more = null) =>
        Procedure(id, p =>
        {
            p.SpineFusion(start);
            if (end is not null)
            {
                p.Ended(end);
            }

            more?.Invoke(p);
        });

    /// <summary>Adds a standard return: an excisional debridement (86.22) in theatre by orthopaedics for T81.4, then <paramref name="more"/>.</summary>
    public TimelineBuilder Return(string id, string start, Action<ProcedureBuilder>? more = null) =>
        Procedure(id, p =>
        {
            p.Debridement(start);
            more?.Invoke(p);
        });

    /// <summary>Adds an Encounter.</summary>
    public TimelineBuilder Encounter(string id, Action<EncounterBuilder>? configure = null)
    {
        var builder = new EncounterBuilder(id, _patient);
        configure?.Invoke(builder);
        _encounters.Add(builder);
        return this;
    }

    /// <summary>Adds a Condition with one ICD-10 code.</summary>
    public TimelineBuilder Condition(string id, string icd10, string? verificationStatus = "confirmed") =>
        Condition(id, Codes.Icd10, icd10, verificationStatus);

    /// <summary>Adds a Condition with one coding.</summary>
    public TimelineBuilder Condition(string id, string? system, string code, string? verificationStatus = "confirmed")
    {
        _conditions.Add(new ConditionRecord(RefOf("Condition", id), _patient, Concept(system, code), verificationStatus));
        return this;
    }

    /// <summary>Adds a ServiceRequest.</summary>
    public TimelineBuilder ServiceRequest(string id, string? authoredOn, string intent = "order", string status = "active")
    {
        _serviceRequests.Add(new ServiceRequestRecord(
            RefOf("ServiceRequest", id), _patient, status, intent, authoredOn is null ? null : Time.Clinical(authoredOn)));
        return this;
    }

    /// <summary>Adds an Observation with one coding and a quantity.</summary>
    public TimelineBuilder Observation(string id, string? system, string code, decimal value, string unit, string? effective, string status = "final")
    {
        _observations.Add(new ObservationRecord
        {
            Ref = RefOf("Observation", id),
            Patient = _patient,
            Status = status,
            Code = Concept(system, code),
            Effective = effective is null ? null : Time.Clinical(effective),
            Value = new QuantityValue(value, unit, "http://unitsofmeasure.org", unit),
        });
        return this;
    }

    /// <summary>Adds a Location with one type coding.</summary>
    public TimelineBuilder Location(string id, string system, string code)
    {
        _locations.Add(new LocationRecord(RefOf("Location", id), [Concept(system, code)]));
        return this;
    }

    /// <summary>Adds an Organization with one type coding.</summary>
    public TimelineBuilder Organization(string id, string system, string code)
    {
        _organizations.Add(new OrganizationRecord(RefOf("Organization", id), [Concept(system, code)]));
        return this;
    }

    /// <summary>The timeline as ingest would project it, before mapping.</summary>
    public PatientTimeline BuildUnmapped() => new()
    {
        Patient = _patient,
        PatientResource = _patientResource,
        Procedures = [.. _procedures.Select(p => p.Build())],
        Encounters = _encounters.Select(e => e.Build()).ToDictionary(e => e.Ref.Key),
        Conditions = _conditions.ToDictionary(c => c.Ref.Key),
        ServiceRequests = _serviceRequests.ToDictionary(s => s.Ref.Key),
        Observations = [.. _observations],
        Locations = _locations.ToDictionary(l => l.Ref.Key),
        Organizations = _organizations.ToDictionary(o => o.Ref.Key),
    };

    /// <summary>The timeline mapped through <paramref name="maps"/> (default: the repository's mappings), with the MAP stage's log.</summary>
    public (PatientTimeline Timeline, List<MappingLogEntry> Log) BuildMapped(CategoryMaps? maps = null)
    {
        var log = new List<MappingLogEntry>();
        var mapper = new TimelineMapper(maps ?? Mappings.Default);
        var (locations, organizations) = mapper.MapShared(_locations, _organizations, log);
        var timeline = mapper.Map(BuildUnmapped() with { Locations = locations, Organizations = organizations }, log);
        return (timeline, log);
    }

    /// <summary>Maps the timeline and evaluates the rule.</summary>
    /// <param name="asOf">The as-of time (ISO 8601 with offset).</param>
    /// <param name="zone">The source's configured zone (tz id), or null to use the index operation's own offset.</param>
    /// <param name="study">The study definition (default: NCT05995327's defaults).</param>
    /// <param name="maps">The mappings (default: the repository's).</param>
    public RuleRun Evaluate(string asOf = LongAfter, string? zone = Shanghai, StudyDefinition? study = null, CategoryMaps? maps = null)
    {
        var (timeline, mapLog) = BuildMapped(maps);
        var detection = new UnplannedReturnRule(study ?? new StudyDefinition())
            .Evaluate(timeline, Time.Offset(asOf), zone is null ? null : Time.Zone(zone));
        return new RuleRun(timeline, mapLog, detection);
    }

    internal static SourceRef RefOf(string type, string id) => new(new ResourceKey(type, id), "1", null);

    private static CodedConcept Concept(string? system, string code) => new([new SourceCoding(system, code)]);
}
