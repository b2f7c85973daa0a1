using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// One conforming instance per registry profile, written from /tmp/notes/registry-model.md (the registry model
/// contract), not from the record builder: tests take one and break exactly one thing.
/// </summary>
internal static class RegistryResources
{
    public const string Category = "http://fhirbridge.org/fhir/CodeSystem/category";
    public const string Outcome = "http://fhirbridge.org/fhir/CodeSystem/registry-outcome";
    public const string Sid = "http://fhirbridge.org/fhir/sid/";

    public const string PatientUrn = "urn:uuid:6f1b2c3d-0000-4000-8000-000000000001";
    public const string StudyUrn = "urn:uuid:6f1b2c3d-0000-4000-8000-000000000002";
    public const string SubjectUrn = "urn:uuid:6f1b2c3d-0000-4000-8000-000000000003";
    public const string IndexUrn = "urn:uuid:6f1b2c3d-0000-4000-8000-000000000004";
    public const string ReturnUrn = "urn:uuid:6f1b2c3d-0000-4000-8000-000000000005";

    /// <summary>A pseudonym as the registry sees it: lowercase hex HMAC-SHA256 (here a plain hash: only the shape matters).</summary>
    public static string Pseudonym(string of) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(of)));

    /// <summary>The study's arms: its cohort groups.</summary>
    public static readonly string[] Arms = ["degenerative", "deformity", "tumor", "fracture", "unclassified"];

    public static Meta Profile(string url) => new() { Profile = [url] };

    public static ResearchStudy ResearchStudy() => new()
    {
        Meta = Profile(RegistryProfiles.ResearchStudy),
        Identifier = [new Identifier("https://clinicaltrials.gov", "NCT05995327")],
        Status = Hl7.Fhir.Model.ResearchStudy.ResearchStudyStatus.Active,
        Arm = [.. Arms.Select(n => new ResearchStudy.ArmComponent { Name = n })],
    };

    public static Patient Patient() => new()
    {
        Meta = Profile(RegistryProfiles.Patient),
        Extension = [SubjectExtension(withReference: false), StudyExtension()],
        Identifier = [new Identifier(Sid + "patient-pseudonym", Pseudonym("patient"))],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970",
    };

    public static ResearchSubject ResearchSubject() => new()
    {
        Meta = Profile(RegistryProfiles.ResearchSubject),
        Identifier = [new Identifier(Sid + "research-subject", Pseudonym("subject"))],
        Status = Hl7.Fhir.Model.ResearchSubject.ResearchSubjectStatus.OffStudy,
        Period = new Period { Start = "2024-03-01T09:00:00+08:00", End = "2024-03-31" },
        Study = new ResourceReference(StudyUrn),
        Individual = new ResourceReference(PatientUrn),
        AssignedArm = "degenerative",
    };

    public static Procedure Procedure() => new()
    {
        Meta = Profile(RegistryProfiles.Procedure),
        Extension = [SubjectExtension(), StudyExtension(), OperationSetting("theatre")],
        Identifier = [new Identifier(Sid + "procedure", Pseudonym("index"))],
        Status = EventStatus.Completed,
        Category = new CodeableConcept(Category, "spine-surgery"),
        Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-9-cm", "81.07"),
        Subject = new ResourceReference(PatientUrn),
        Performed = new Period { Start = "2024-03-01T09:00:00+08:00", End = "2024-03-01T12:30:00+08:00" },
        ReasonCode = [new CodeableConcept("http://hl7.org/fhir/sid/icd-10", "M51.1")],
    };

    public static AdverseEvent AdverseEvent() => new()
    {
        Meta = Profile(RegistryProfiles.AdverseEvent),
        Extension = [SubjectExtension(), ReturnProcedure()],
        Identifier = new Identifier(Sid + "adverse-event", Pseudonym("adverse-event")),
        Actuality = Hl7.Fhir.Model.AdverseEvent.AdverseEventActuality.Actual,
        Event = new CodeableConcept(Outcome, "unplanned-return-to-theatre"),
        Subject = new ResourceReference(PatientUrn),
        Date = "2024-03-03T10:00:00+08:00",
        SuspectEntity = [new AdverseEvent.SuspectEntityComponent { Instance = new ResourceReference(IndexUrn) }],
        Study = [new ResourceReference(StudyUrn)],
    };

    public static Observation OutcomeObservation() => new()
    {
        Meta = Profile(RegistryProfiles.OutcomeObservation),
        Extension = [SubjectExtension(), StudyExtension()],
        Identifier = [new Identifier(Sid + "observation", Pseudonym("outcome"))],
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(Outcome, "unplanned-return-within-window"),
        Subject = new ResourceReference(PatientUrn),
        Focus = [new ResourceReference(SubjectUrn)],
        Effective = new Period { Start = "2024-03-01", End = "2024-03-31" },
        Value = new CodeableConcept(Outcome, "unplanned-return"),
    };

    public static Observation RiskFactorObservation() => new()
    {
        Meta = Profile(RegistryProfiles.RiskFactorObservation),
        Extension = [SubjectExtension(), StudyExtension()],
        Identifier = [new Identifier(Sid + "observation", Pseudonym("bmi"))],
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "39156-5"),
        Subject = new ResourceReference(PatientUrn),
        Effective = new FhirDateTime("2024-02-28T08:00:00+08:00"),
        Value = new Quantity { Value = 27.4m, Unit = "kg/m2", System = "http://unitsofmeasure.org", Code = "kg/m2" },
    };

    public static Provenance Provenance() => new()
    {
        Meta = Profile(RegistryProfiles.Provenance),
        Extension = [SubjectExtension(), StudyExtension()],
        Target = [new ResourceReference(IndexUrn)],
        Recorded = new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.FromHours(8)),
        Activity = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE"),
        Agent =
        [
            new Provenance.AgentComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler"),
                Who = new ResourceReference { Display = "FhirBridge" },
            },
        ],
        Entity = [SourceEntity("Procedure/op1", "3")],
    };

    public static Provenance.EntityComponent SourceEntity(string source, string? version) => new()
    {
        Extension = version is null ? [] : [new Extension(RegistryProfiles.SourceVersionExtension, new FhirString(version))],
        Role = Hl7.Fhir.Model.Provenance.ProvenanceEntityRole.Source,
        What = new ResourceReference { Identifier = new Identifier(Sid + "source-resource", Pseudonym(source)) },
    };

    /// <summary>The research-subject extension: identifier-only on Patient, with the subject's urn:uuid elsewhere.</summary>
    public static Extension SubjectExtension(bool withReference = true) => new(
        RegistryProfiles.ResearchSubjectExtension,
        new ResourceReference
        {
            Reference = withReference ? SubjectUrn : null,
            Type = "ResearchSubject",
            Identifier = new Identifier(Sid + "research-subject", Pseudonym("subject")),
        });

    public static Extension StudyExtension() => new(RegistryProfiles.ResearchStudyExtension, new ResourceReference(StudyUrn));

    public static Extension OperationSetting(string code) => new(RegistryProfiles.OperationSettingExtension, new Coding(Category, code));

    public static Extension ReturnProcedure() => new(
        RegistryProfiles.ReturnProcedureExtension,
        new ResourceReference { Reference = ReturnUrn, Identifier = new Identifier(Sid + "procedure", Pseudonym("return")) });

    /// <summary>Every conforming instance by name, for theories.</summary>
    public static IReadOnlyDictionary<string, Func<Resource>> All { get; } = new Dictionary<string, Func<Resource>>
    {
        ["ResearchStudy"] = ResearchStudy,
        ["Patient"] = Patient,
        ["ResearchSubject"] = ResearchSubject,
        ["Procedure"] = Procedure,
        ["AdverseEvent"] = AdverseEvent,
        ["OutcomeObservation"] = OutcomeObservation,
        ["RiskFactorObservation"] = RiskFactorObservation,
        ["Provenance"] = Provenance,
    };
}
