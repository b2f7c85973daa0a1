using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>
/// Change sets as the registry receives them: a transaction of conditional upserts (<c>PUT Type?identifier=system|value</c>)
/// with deterministic <c>urn:uuid</c> fullUrls, a conditional delete, and a <c>PUT Provenance/{id}</c>.
/// </summary>
internal static class RegistryBundles
{
    public const string StudySystem = "https://clinicaltrials.gov";
    public const string PseudonymSystem = "http://fhirbridge.org/fhir/sid/pseudonym";
    public const string SubjectSystem = "http://fhirbridge.org/fhir/sid/research-subject";
    public const string ProcedureSystem = "http://fhirbridge.org/fhir/sid/registry-procedure";
    public const string AdverseEventSystem = "http://fhirbridge.org/fhir/sid/unplanned-return";

    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>One subject's change set: study, pseudonymous patient, subject, index procedure, a return as an AdverseEvent, a withdrawn procedure deleted, and its Provenance.</summary>
    public static string ChangeSet(string subject = "s1", string pseudonym = "abc", string arm = "degenerative")
    {
        var uuid = (string what) => "urn:uuid:" + new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(subject + "/" + what)).AsSpan(0, 16));
        var study = new ResearchStudy
        {
            Identifier = [new Identifier(StudySystem, "NCT05995327")],
            Status = ResearchStudy.ResearchStudyStatus.Active,
        };
        var patient = new Patient
        {
            Identifier = [new Identifier(PseudonymSystem, pseudonym)],
            Gender = AdministrativeGender.Female,
            BirthDate = "1960",
        };
        var researchSubject = new ResearchSubject
        {
            Identifier = [new Identifier(SubjectSystem, subject)],
            Status = ResearchSubject.ResearchSubjectStatus.OnStudy,
            Study = new ResourceReference(uuid("study")),
            Individual = new ResourceReference(uuid("patient")),
            AssignedArm = arm,
        };
        var procedure = new Procedure
        {
            Identifier = [new Identifier(ProcedureSystem, subject + "-index")],
            Status = EventStatus.Completed,
            Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-9-cm", "81.07"),
            Subject = new ResourceReference(uuid("patient")),
            Performed = new FhirDateTime("2024-03-01T09:00:00+08:00"),
        };
        var adverse = new AdverseEvent
        {
            Identifier = new Identifier(AdverseEventSystem, subject + "-r1"),
            Actuality = AdverseEvent.AdverseEventActuality.Actual,
            Subject = new ResourceReference(uuid("patient")),
            Study = [new ResourceReference(uuid("study"))],
        };
        var provenance = new Provenance
        {
            Id = "prov-" + subject,
            Target = [new ResourceReference(uuid("subject"))],
            Recorded = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Agent = [new Provenance.AgentComponent { Who = new ResourceReference { Display = "FhirBridge" } }],
        };
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        void Put(string what, Resource resource, string url) => bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = uuid(what),
            Resource = resource,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = url },
        });
        Put("study", study, Conditional("ResearchStudy", StudySystem, "NCT05995327"));
        Put("patient", patient, Conditional("Patient", PseudonymSystem, pseudonym));
        Put("subject", researchSubject, Conditional("ResearchSubject", SubjectSystem, subject));
        Put("index", procedure, Conditional("Procedure", ProcedureSystem, subject + "-index"));
        Put("return", adverse, Conditional("AdverseEvent", AdverseEventSystem, subject + "-r1"));
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = Conditional("Procedure", ProcedureSystem, subject + "-withdrawn") },
        });
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = uuid("provenance"),
            Resource = provenance,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Provenance/" + provenance.Id },
        });
        return Serializer.SerializeToString(bundle);
    }

    /// <summary><c>Type?identifier=system|value</c>, escaped as the registry record builder does.</summary>
    public static string Conditional(string type, string system, string value) =>
        $"{type}?identifier={Uri.EscapeDataString(system)}|{Uri.EscapeDataString(value)}";

    /// <summary>The resource types a <see cref="ChangeSet"/> writes, one resource each.</summary>
    public static IReadOnlyList<string> WrittenTypes { get; } = ["ResearchStudy", "Patient", "ResearchSubject", "Procedure", "AdverseEvent", "Provenance"];
}
