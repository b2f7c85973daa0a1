using FhirBridge.Timeline;

namespace FhirBridge.Tests.Builders;

/// <summary>Builds one <see cref="ProcedureRecord"/>: <c>p.At("2024-03-01T09:00:00+08:00").Icd9("81.07").InTheatre().ByOrthopaedics()</c>.</summary>
public sealed class ProcedureBuilder
{
    private readonly string _id;
    private readonly ResourceKey _patient;
    private readonly List<SourceCoding> _code = [];
    private readonly List<SourceCoding> _category = [];
    private readonly List<ResourceKey> _partOf = [];
    private readonly List<ResourceKey> _organizations = [];
    private readonly List<ResourceKey> _basedOn = [];
    private readonly List<CodedConcept> _reasonCodes = [];
    private readonly List<ResourceKey> _reasonReferences = [];
    private string _status = "completed";
    private ClinicalTime? _start;
    private ClinicalTime? _end;
    private ResourceKey? _encounter;
    private ResourceKey? _location;

    internal ProcedureBuilder(string id, ResourceKey patient)
    {
        _id = id;
        _patient = patient;
    }

    /// <summary><c>performedDateTime</c> / <c>performedPeriod.start</c>: a FHIR literal, timestamp or date-only.</summary>
    public ProcedureBuilder At(string start)
    {
        _start = Time.Clinical(start);
        return this;
    }

    /// <summary><c>performedPeriod.end</c>.</summary>
    public ProcedureBuilder Ended(string end)
    {
        _end = Time.Clinical(end);
        return this;
    }

    /// <summary>No performed time at all.</summary>
    public ProcedureBuilder NoStart()
    {
        _start = null;
        return this;
    }

    /// <summary><c>status</c> (default <c>completed</c>).</summary>
    public ProcedureBuilder Status(string status)
    {
        _status = status;
        return this;
    }

    /// <summary><c>status = stopped</c>.</summary>
    public ProcedureBuilder Stopped() => Status("stopped");

    /// <summary><c>status = in-progress</c>.</summary>
    public ProcedureBuilder InProgress() => Status("in-progress");

    /// <summary><c>status = not-done</c>.</summary>
    public ProcedureBuilder NotDone() => Status("not-done");

    /// <summary><c>status = entered-in-error</c>.</summary>
    public ProcedureBuilder EnteredInError() => Status("entered-in-error");

    /// <summary>Adds an ICD-9-CM coding to <c>code</c>.</summary>
    public ProcedureBuilder Icd9(string code) => Code(Codes.Icd9Cm, code);

    /// <summary>Adds a SNOMED CT coding to <c>code</c>.</summary>
    public ProcedureBuilder Snomed(string code) => Code(Codes.Snomed, code);

    /// <summary>Adds a coding to <c>code</c>.</summary>
    public ProcedureBuilder Code(string? system, string code)
    {
        _code.Add(new SourceCoding(system, code));
        return this;
    }

    /// <summary>Adds a coding to <c>category</c>.</summary>
    public ProcedureBuilder Category(string system, string code)
    {
        _category.Add(new SourceCoding(system, code));
        return this;
    }

    /// <summary><c>category</c> = SNOMED CT 387713003 Surgical procedure.</summary>
    public ProcedureBuilder SurgicalCategory() => Category(Codes.Snomed, Codes.SurgicalProcedure);

    /// <summary><c>location</c> = the standard operating room.</summary>
    public ProcedureBuilder InTheatre() => AtLocation(TimelineBuilder.TheatreLocation);

    /// <summary><c>location</c> = the standard ward.</summary>
    public ProcedureBuilder OnWard() => AtLocation(TimelineBuilder.WardLocation);

    /// <summary><c>location</c> = Location/<paramref name="locationId"/>.</summary>
    public ProcedureBuilder AtLocation(string locationId)
    {
        _location = new ResourceKey("Location", locationId);
        return this;
    }

    /// <summary>A performer on behalf of the standard orthopaedics Organization.</summary>
    public ProcedureBuilder ByOrthopaedics() => OnBehalfOf(TimelineBuilder.OrthopaedicsOrganization);

    /// <summary>A performer on behalf of the standard neurosurgery Organization.</summary>
    public ProcedureBuilder ByNeurosurgery() => OnBehalfOf(TimelineBuilder.NeurosurgeryOrganization);

    /// <summary>Performers on behalf of these Organizations, in order.</summary>
    public ProcedureBuilder OnBehalfOf(params string[] organizationIds)
    {
        _organizations.AddRange(organizationIds.Select(id => new ResourceKey("Organization", id)));
        return this;
    }

    /// <summary><c>encounter</c>.</summary>
    public ProcedureBuilder InEncounter(string encounterId)
    {
        _encounter = new ResourceKey("Encounter", encounterId);
        return this;
    }

    /// <summary><c>partOf</c> another Procedure.</summary>
    public ProcedureBuilder PartOf(string procedureId)
    {
        _partOf.Add(new ResourceKey("Procedure", procedureId));
        return this;
    }

    /// <summary><c>basedOn</c> a ServiceRequest.</summary>
    public ProcedureBuilder BasedOnServiceRequest(string serviceRequestId)
    {
        _basedOn.Add(new ResourceKey("ServiceRequest", serviceRequestId));
        return this;
    }

    /// <summary><c>basedOn</c> a CarePlan.</summary>
    public ProcedureBuilder BasedOnCarePlan(string carePlanId)
    {
        _basedOn.Add(new ResourceKey("CarePlan", carePlanId));
        return this;
    }

    /// <summary>Adds an ICD-10 <c>reasonCode</c>.</summary>
    public ProcedureBuilder Reason(string icd10) => ReasonCode(Codes.Icd10, icd10);

    /// <summary>Adds a <c>reasonCode</c>.</summary>
    public ProcedureBuilder ReasonCode(string? system, string code)
    {
        _reasonCodes.Add(new CodedConcept([new SourceCoding(system, code)]));
        return this;
    }

    /// <summary>Adds a <c>reasonReference</c> to Condition/<paramref name="conditionId"/>.</summary>
    public ProcedureBuilder ReasonRef(string conditionId) => ReasonReference(new ResourceKey("Condition", conditionId));

    /// <summary>Adds a <c>reasonReference</c> to any resource.</summary>
    public ProcedureBuilder ReasonReference(ResourceKey reference)
    {
        _reasonReferences.Add(reference);
        return this;
    }

    /// <summary>A standard index operation: a lumbar fusion (81.07) in theatre by orthopaedics.</summary>
    public ProcedureBuilder SpineFusion(string start) => At(start).Icd9(Codes.LumbarFusion).InTheatre().ByOrthopaedics();

    /// <summary>A standard return: an excisional debridement (86.22) in theatre by orthopaedics, for a wound infection (T81.4).</summary>
    public ProcedureBuilder Debridement(string start) =>
        At(start).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics().Reason(Codes.WoundInfection);

    internal ProcedureRecord Build() => new()
    {
        Ref = TimelineBuilder.RefOf("Procedure", _id),
        Patient = _patient,
        Status = _status,
        Code = new CodedConcept([.. _code]),
        Category = _category.Count == 0 ? CodedConcept.None : new CodedConcept([.. _category]),
        Start = _start,
        End = _end,
        PartOf = [.. _partOf],
        Encounter = _encounter,
        Location = _location,
        PerformerOrganizations = [.. _organizations],
        BasedOn = [.. _basedOn],
        ReasonCodes = [.. _reasonCodes],
        ReasonReferences = [.. _reasonReferences],
    };
}
