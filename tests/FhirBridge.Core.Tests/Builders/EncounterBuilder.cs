using FhirBridge.Timeline;

namespace FhirBridge.Tests.Builders;

/// <summary>Builds one <see cref="EncounterRecord"/>: locations with periods, service type and provider, diagnoses.</summary>
public sealed class EncounterBuilder
{
    private readonly string _id;
    private readonly ResourceKey _patient;
    private readonly List<EncounterLocation> _locations = [];
    private readonly List<SourceCoding> _serviceType = [];
    private readonly List<EncounterDiagnosis> _diagnoses = [];
    private string _status = "finished";
    private ResourceKey? _serviceProvider;

    internal EncounterBuilder(string id, ResourceKey patient)
    {
        _id = id;
        _patient = patient;
    }

    /// <summary><c>status</c> (default <c>finished</c>).</summary>
    public EncounterBuilder Status(string status)
    {
        _status = status;
        return this;
    }

    /// <summary><c>status = entered-in-error</c>.</summary>
    public EncounterBuilder EnteredInError() => Status("entered-in-error");

    /// <summary>A <c>location</c> entry with an optional period.</summary>
    public EncounterBuilder Location(string locationId, string? from = null, string? to = null)
    {
        _locations.Add(new EncounterLocation(
            new ResourceKey("Location", locationId),
            from is null ? null : Time.Clinical(from),
            to is null ? null : Time.Clinical(to)));
        return this;
    }

    /// <summary>The standard operating room, for a period.</summary>
    public EncounterBuilder InTheatre(string? from = null, string? to = null) => Location(TimelineBuilder.TheatreLocation, from, to);

    /// <summary>The standard ward, for a period.</summary>
    public EncounterBuilder OnWard(string? from = null, string? to = null) => Location(TimelineBuilder.WardLocation, from, to);

    /// <summary>Adds a <c>serviceType</c> coding.</summary>
    public EncounterBuilder ServiceType(string system, string code)
    {
        _serviceType.Add(new SourceCoding(system, code));
        return this;
    }

    /// <summary><c>serviceType</c> = SNOMED CT 394801008 Trauma and orthopedics.</summary>
    public EncounterBuilder OrthopaedicsService() => ServiceType(Codes.Snomed, Codes.TraumaAndOrthopedics);

    /// <summary><c>serviceType</c> = SNOMED CT 394610002 Neurosurgery.</summary>
    public EncounterBuilder NeurosurgeryService() => ServiceType(Codes.Snomed, Codes.Neurosurgery);

    /// <summary><c>serviceProvider</c> = Organization/<paramref name="organizationId"/>.</summary>
    public EncounterBuilder ProvidedBy(string organizationId)
    {
        _serviceProvider = new ResourceKey("Organization", organizationId);
        return this;
    }

    /// <summary>A <c>diagnosis</c> Condition with an optional rank.</summary>
    public EncounterBuilder Diagnosis(string conditionId, int? rank = null)
    {
        _diagnoses.Add(new EncounterDiagnosis(new ResourceKey("Condition", conditionId), rank));
        return this;
    }

    internal EncounterRecord Build() => new()
    {
        Ref = TimelineBuilder.RefOf("Encounter", _id),
        Patient = _patient,
        Status = _status,
        Locations = [.. _locations],
        ServiceType = _serviceType.Count == 0 ? CodedConcept.None : new CodedConcept([.. _serviceType]),
        ServiceProvider = _serviceProvider,
        Diagnoses = [.. _diagnoses],
    };
}
