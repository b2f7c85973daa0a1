using System.Globalization;
using FhirBridge.Detection;
using FhirBridge.Timeline;
using Hl7.Fhir.Model;
using NodaTime;
using Period = Hl7.Fhir.Model.Period;

namespace FhirBridge.Registry;

/// <summary>
/// Builds what the registry may hold for one patient's subjects: a pseudonymous Patient (gender, birth year), a
/// ResearchSubject per index operation, and the index and counted return Procedures with codes, categories and
/// times; plus the ResearchStudy. No names, telecom, addresses, hospital identifiers, notes or free text. The
/// registry-push stage grows this into the full profiled record set.
/// </summary>
public sealed class RegistryRecordBuilder(string sourceName, StudyDefinition study, Pseudonymizer pseudonyms)
{
    /// <summary>Identifier system of the pseudonymous Patient.</summary>
    public const string PatientIdentifierSystem = "http://fhirbridge.org/fhir/sid/patient-pseudonym";

    /// <summary>Identifier system of ResearchSubjects.</summary>
    public const string SubjectIdentifierSystem = "http://fhirbridge.org/fhir/sid/research-subject";

    /// <summary>Identifier system of registry Procedures.</summary>
    public const string ProcedureIdentifierSystem = "http://fhirbridge.org/fhir/sid/procedure";

    /// <summary>Identifier system of ClinicalTrials.gov numbers.</summary>
    public const string StudyIdentifierSystem = "https://clinicaltrials.gov";

    /// <summary>The ResearchStudy record: one per study, in every transaction (a conditional upsert, so it never duplicates).</summary>
    public RegistryRecord Study() => new(
        new RegistryKey("ResearchStudy", StudyIdentifierSystem, study.Id),
        string.Empty,
        new ResearchStudy
        {
            Identifier = [new Identifier(StudyIdentifierSystem, study.Id)],
            Status = ResearchStudy.ResearchStudyStatus.Active,
            Arm = [.. study.CohortGroups.Select(g => new ResearchStudy.ArmComponent { Name = g.Name }), new ResearchStudy.ArmComponent { Name = CohortGroup.Unclassified }],
        });

    /// <summary>The records of one patient's subjects (none when the patient has no subject).</summary>
    public IReadOnlyList<RegistryRecord> Build(PatientTimeline timeline, IReadOnlyList<Subject> subjects)
    {
        var records = new List<RegistryRecord>();
        if (subjects.Count == 0)
        {
            return records;
        }

        var studyKey = Study().Key;
        var patient = PatientRecord(timeline, SubjectId(subjects[0]));
        records.Add(patient);
        foreach (var subject in subjects)
        {
            var subjectId = SubjectId(subject);
            var indexDate = subject.Calendar.DateOf(subject.Index.StartAsWritten);
            var windowEnd = indexDate.PlusDays(study.WindowDays);
            var open = subject.Outcome == Outcome.FollowUpOpen;
            records.Add(new RegistryRecord(
                new RegistryKey("ResearchSubject", SubjectIdentifierSystem, subjectId),
                subjectId,
                new ResearchSubject
                {
                    Identifier = [new Identifier(SubjectIdentifierSystem, subjectId)],
                    Status = open ? ResearchSubject.ResearchSubjectStatus.OnStudy : ResearchSubject.ResearchSubjectStatus.OffStudy,
                    Study = new ResourceReference(studyKey.FullUrl),
                    Individual = new ResourceReference(patient.FullUrl),
                    AssignedArm = subject.Cohort,
                    Period = new Period { Start = subject.IndexStart, End = windowEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
                },
                open ? WindowClosesAt(windowEnd, subject.Calendar.Zone) : null));

            foreach (var procedure in subject.Index.Procedures.Concat(subject.Returns.SelectMany(r => r.Candidate.Procedures)))
            {
                records.Add(ProcedureRecord(procedure, patient, subjectId, subject.Calendar));
            }
        }

        return records;
    }

    private string SubjectId(Subject subject) => pseudonyms.Hash("research-subject", study.Id, sourceName, subject.Index.Key.Id);

    // The window is open through its last local day: it closes at the start of the next one.
    private static DateTimeOffset WindowClosesAt(LocalDate windowEnd, DateTimeZone? zone) =>
        windowEnd.PlusDays(1).AtStartOfDayInZone(zone ?? DateTimeZone.Utc).ToDateTimeOffset();

    private RegistryRecord PatientRecord(PatientTimeline timeline, string subjectId)
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
            patient.BirthDate = source.BirthDate?.Date.Year.ToString("D4", CultureInfo.InvariantCulture);
        }

        return new RegistryRecord(new RegistryKey("Patient", PatientIdentifierSystem, pseudonym), subjectId, patient);
    }

    private RegistryRecord ProcedureRecord(ProcedureRecord source, RegistryRecord patient, string subjectId, LocalCalendar calendar)
    {
        var id = pseudonyms.Hash("procedure", sourceName, source.Ref.Key.Id);
        var categories = source.Code.Matches.Select(m => m.Category).Distinct().ToList();
        var procedure = new Procedure
        {
            Identifier = [new Identifier(ProcedureIdentifierSystem, id)],
            Status = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<EventStatus>(source.Status) ?? EventStatus.Unknown,
            Subject = new ResourceReference(patient.FullUrl),
            Code = new CodeableConcept { Coding = [.. source.Code.Codings.Select(c => new Coding(c.System, c.Code.Trim()))] },
            Category = categories.Count == 0 ? null : new CodeableConcept { Coding = [.. categories.Select(c => new Coding(Mapping.Category.System, c))] },
            Performed = new Period { Start = source.Start?.Format(calendar.Zone), End = source.End?.Format(calendar.Zone) },
        };
        return new RegistryRecord(new RegistryKey("Procedure", ProcedureIdentifierSystem, id), subjectId, procedure);
    }
}
