using FhirBridge.Detection;
using FhirBridge.Timeline;
using Hl7.Fhir.Model;

namespace FhirBridge.Registry;

/// <summary>
/// Builds what the registry receives for the subjects of one source: a transaction Bundle of conditional upserts
/// (<c>PUT Type?identifier=system|value</c>), so sending it twice changes nothing. Only what the registry may hold:
/// a pseudonymous Patient (gender, birth year), the ResearchStudy, a ResearchSubject per index operation, and the
/// index and return Procedures with codes, categories and times. No names, telecom, addresses, hospital
/// identifiers, notes or free text. The registry-push stage grows this into the full profiled record set.
/// </summary>
public sealed class RegistryBundleBuilder(string sourceName, StudyDefinition study, Pseudonymizer pseudonyms)
{
    /// <summary>Identifier system of the pseudonymous Patient.</summary>
    public const string PatientIdentifierSystem = "http://fhirbridge.org/fhir/sid/patient-pseudonym";

    /// <summary>Identifier system of ResearchSubjects.</summary>
    public const string SubjectIdentifierSystem = "http://fhirbridge.org/fhir/sid/research-subject";

    /// <summary>Identifier system of registry Procedures.</summary>
    public const string ProcedureIdentifierSystem = "http://fhirbridge.org/fhir/sid/procedure";

    /// <summary>Identifier system of ClinicalTrials.gov numbers.</summary>
    public const string StudyIdentifierSystem = "https://clinicaltrials.gov";

    private readonly Bundle _bundle = new() { Type = Bundle.BundleType.Transaction };
    private readonly HashSet<string> _added = [];
    private string? _studyUrl;

    /// <summary>Adds one patient's subjects.</summary>
    public void Add(PatientTimeline timeline, IEnumerable<Subject> subjects)
    {
        foreach (var subject in subjects)
        {
            var studyUrl = AddStudy();
            var patientUrl = AddPatient(timeline);
            var subjectId = pseudonyms.Hash("research-subject", study.Id, sourceName, subject.Index.Key.Id);
            var windowEnd = subject.Calendar.DateOf(subject.Index.StartAsWritten).PlusDays(study.WindowDays);
            var researchSubject = new ResearchSubject
            {
                Identifier = [new Identifier(SubjectIdentifierSystem, subjectId)],
                Status = subject.Outcome == Outcome.FollowUpOpen ? ResearchSubject.ResearchSubjectStatus.OnStudy : ResearchSubject.ResearchSubjectStatus.OffStudy,
                Study = new ResourceReference(studyUrl),
                Individual = new ResourceReference(patientUrl),
                AssignedArm = subject.Cohort,
                Period = new Period
                {
                    Start = subject.IndexStart,
                    End = windowEnd.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                },
            };
            Upsert(researchSubject, SubjectIdentifierSystem, subjectId);

            foreach (var procedure in subject.Index.Procedures.Concat(subject.Returns.SelectMany(r => r.Candidate.Procedures)))
            {
                AddProcedure(procedure, patientUrl, subject.Calendar);
            }
        }
    }

    /// <summary>The transaction Bundle built so far.</summary>
    public Bundle ToBundle() => _bundle;

    private string AddStudy()
    {
        if (_studyUrl is null)
        {
            var researchStudy = new ResearchStudy
            {
                Identifier = [new Identifier(StudyIdentifierSystem, study.Id)],
                Status = ResearchStudy.ResearchStudyStatus.Active,
                Arm = [.. study.CohortGroups.Select(g => new ResearchStudy.ArmComponent { Name = g.Name }), new ResearchStudy.ArmComponent { Name = CohortGroup.Unclassified }],
            };
            _studyUrl = Upsert(researchStudy, StudyIdentifierSystem, study.Id);
        }

        return _studyUrl;
    }

    private string AddPatient(PatientTimeline timeline)
    {
        var pseudonym = pseudonyms.Patient(sourceName, timeline.Patient.Id);
        var patient = new Patient { Identifier = [new Identifier(PatientIdentifierSystem, pseudonym)] };
        if (timeline.PatientResource is { } source)
        {
            patient.Gender = source.Gender switch
            {
                "male" => AdministrativeGender.Male,
                "female" => AdministrativeGender.Female,
                "other" => AdministrativeGender.Other,
                "unknown" => AdministrativeGender.Unknown,
                _ => null,
            };

            // Birth year only: enough for age bands, not enough to re-identify.
            patient.BirthDate = source.BirthDate is { } birth ? birth.Date.Year.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) : null;
        }

        return Upsert(patient, PatientIdentifierSystem, pseudonym);
    }

    private void AddProcedure(ProcedureRecord source, string patientUrl, LocalCalendar calendar)
    {
        var id = pseudonyms.Hash("procedure", sourceName, source.Ref.Key.Id);
        var categories = source.Code.Matches.Select(m => m.Category).Distinct().ToList();
        var procedure = new Procedure
        {
            Identifier = [new Identifier(ProcedureIdentifierSystem, id)],
            Status = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<EventStatus>(source.Status) ?? EventStatus.Unknown,
            Subject = new ResourceReference(patientUrl),
            Code = new CodeableConcept { Coding = [.. source.Code.Codings.Select(c => new Coding(c.System, c.Code.Trim()))] },
            Category = categories.Count == 0 ? null : new CodeableConcept { Coding = [.. categories.Select(c => new Coding(Mapping.Category.System, c))] },
            Performed = new Period { Start = source.Start?.Format(calendar.Zone), End = source.End?.Format(calendar.Zone) },
        };
        Upsert(procedure, ProcedureIdentifierSystem, id);
    }

    private string Upsert(Resource resource, string system, string value)
    {
        var fullUrl = "urn:uuid:" + Pseudonymizer.UuidOf(pseudonyms.Hash("full-url", resource.TypeName, system, value));
        if (_added.Add(fullUrl))
        {
            _bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = fullUrl,
                Resource = resource,
                Request = new Bundle.RequestComponent
                {
                    Method = Bundle.HTTPVerb.PUT,
                    Url = $"{resource.TypeName}?identifier={Uri.EscapeDataString(system)}|{Uri.EscapeDataString(value)}",
                },
            });
        }

        return fullUrl;
    }
}
