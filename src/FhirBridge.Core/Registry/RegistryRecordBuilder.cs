using System.Globalization;
using FhirBridge.Detection;
using FhirBridge.Timeline;
using Hl7.Fhir.Model;
using NodaTime;
using Period = Hl7.Fhir.Model.Period;

namespace FhirBridge.Registry;

/// <summary>
/// Builds what the registry may hold for one patient's subjects (docs/registry.md): the ResearchStudy, a
/// pseudonymous Patient (gender, birth year), per index operation a ResearchSubject, the index and counted return
/// Procedures, an AdverseEvent per counted return, the outcome Observation and the risk-factor Observations. No
/// names, telecom, addresses, hospital identifiers, notes, displays or free text: only what the profiles in
/// <c>profiles/</c> allow, and every record declares its profile.
/// </summary>
public sealed class RegistryRecordBuilder(string sourceName, StudyDefinition study, Pseudonymizer pseudonyms, RegistrySettings? settings = null)
{
    private readonly RegistrySettings _settings = settings ?? new RegistrySettings();

    /// <summary>The ResearchStudy record: one per study, in every transaction (a conditional upsert, so it never duplicates).</summary>
    public RegistryRecord Study() => new(
        new RegistryKey("ResearchStudy", RegistryModel.StudySystem, study.Id),
        string.Empty,
        new ResearchStudy
        {
            Meta = Profile(RegistryModel.ResearchStudyProfile),
            Identifier = [new Identifier(RegistryModel.StudySystem, study.Id)],
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

        var studyRecord = Study();
        var subjectIds = subjects.Select(SubjectId).ToList();
        var patient = PatientRecord(timeline, subjectIds, studyRecord);
        records.Add(patient);
        foreach (var subject in subjects)
        {
            var context = new SubjectContext(subject, SubjectId(subject), patient, studyRecord, study.WindowDays);
            var researchSubject = ResearchSubjectRecord(context);
            records.Add(researchSubject);

            // The index operation's Procedures, then each counted return's (registry model, "Procedure").
            var index = subject.Index.Procedures.Select(p => ProcedureRecord(p, context)).ToList();
            records.AddRange(index);
            var principal = index[0];
            foreach (var counted in subject.Returns)
            {
                var returned = counted.Candidate.Procedures.Select(p => ProcedureRecord(p, context)).ToList();
                records.AddRange(returned);
                records.Add(AdverseEventRecord(counted, principal, returned[0], context));
            }

            records.Add(OutcomeRecord(context));
            records.AddRange(RiskFactorRecords(timeline.Observations, context));
        }

        return records;
    }

    /// <summary>A keyed pseudonym of a source resource, for Provenance entities.</summary>
    public SourceEntity Entity(SourceRef source) =>
        new(source.Key.Type, pseudonyms.Hash("source-resource", sourceName, source.Key.Type, source.Key.Id), source.VersionId);

    private string SubjectId(Subject subject) => pseudonyms.Hash("research-subject", study.Id, sourceName, subject.Index.Key.Id);

    private static Meta Profile(string profile) => new() { Profile = [profile] };

    // The window is open through its last local day: it closes at the start of the next one.
    private static DateTimeOffset WindowClosesAt(LocalDate windowEnd, DateTimeZone? zone) =>
        windowEnd.PlusDays(1).AtStartOfDayInZone(zone ?? DateTimeZone.Utc).ToDateTimeOffset();

    private static string Date(LocalDate date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private RegistryRecord PatientRecord(PatientTimeline timeline, List<string> subjectIds, RegistryRecord studyRecord)
    {
        var pseudonym = pseudonyms.Patient(sourceName, timeline.Patient.Id);
        var patient = new Patient
        {
            Meta = Profile(RegistryModel.PatientProfile),
            Identifier = [new Identifier(RegistryModel.PatientSystem, pseudonym)],
        };

        // One link per subject of the patient, by identifier only: not every subject is in every transaction, and
        // a urn:uuid that is not in the Bundle would not resolve.
        foreach (var subjectId in subjectIds.Order(StringComparer.Ordinal))
        {
            patient.Extension.Add(new Extension(RegistryModel.ResearchSubjectExtension, new ResourceReference
            {
                Type = "ResearchSubject",
                Identifier = new Identifier(RegistryModel.SubjectSystem, subjectId),
            }));
        }

        patient.Extension.Add(StudyLink(studyRecord));
        var sources = new List<SourceEntity>();
        if (timeline.PatientResource is { } source)
        {
            sources.Add(Entity(source.Ref));
            patient.Gender = source.Gender switch
            {
                "male" => AdministrativeGender.Male,
                "female" => AdministrativeGender.Female,
                "other" => AdministrativeGender.Other,
                "unknown" => AdministrativeGender.Unknown,
                _ => null,
            };

            // Birth year only: enough for age bands, not enough to re-identify (and none when the study says so).
            if (_settings.BirthYear)
            {
                patient.BirthDate = source.BirthDate?.Date.Year.ToString("D4", CultureInfo.InvariantCulture);
            }
        }

        return new RegistryRecord(new RegistryKey("Patient", RegistryModel.PatientSystem, pseudonym), subjectIds[0], patient) { Sources = sources, Origin = timeline.Patient.ToString() };
    }

    private RegistryRecord ResearchSubjectRecord(SubjectContext c)
    {
        var open = c.Subject.Outcome == Outcome.FollowUpOpen;
        var resource = new ResearchSubject
        {
            Meta = Profile(RegistryModel.ResearchSubjectProfile),
            Identifier = [new Identifier(RegistryModel.SubjectSystem, c.SubjectId)],

            // On study while the follow-up window is open, off study once it has closed (spec, "Outcome of a subject").
            Status = open ? ResearchSubject.ResearchSubjectStatus.OnStudy : ResearchSubject.ResearchSubjectStatus.OffStudy,
            Study = new ResourceReference(c.Study.FullUrl),
            Individual = new ResourceReference(c.Patient.FullUrl),
            AssignedArm = c.Subject.Cohort,
            Period = new Period { Start = c.Subject.IndexStart, End = Date(c.WindowEnd) },
        };
        return new RegistryRecord(new RegistryKey("ResearchSubject", RegistryModel.SubjectSystem, c.SubjectId), c.SubjectId, resource, open ? WindowClosesAt(c.WindowEnd, c.Subject.Calendar.Zone) : null)
        {
            Sources = [.. c.Subject.Index.Procedures.Select(p => Entity(p.Ref))],
            Origin = c.Origin,
        };
    }

    private RegistryRecord ProcedureRecord(ProcedureRecord source, SubjectContext c)
    {
        // Per subject: the same source Procedure can be one subject's return and a later subject's index operation.
        var id = pseudonyms.Hash("procedure", study.Id, sourceName, c.Subject.Index.Key.Id, source.Ref.Key.Id);
        var categories = source.Code.Matches.Select(m => m.Category).Distinct().ToList();
        var zone = c.Subject.Calendar.Zone;
        var procedure = new Procedure
        {
            Meta = Profile(RegistryModel.ProcedureProfile),
            Identifier = [new Identifier(RegistryModel.ProcedureSystem, id)],
            Status = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<EventStatus>(source.Status) ?? EventStatus.Unknown,
            Subject = new ResourceReference(c.Patient.FullUrl),
            Code = Codes(source.Code),
            Category = categories.Count == 0 ? null : new CodeableConcept { Coding = [.. categories.Select(cat => new Coding(Mapping.Category.System, cat))] },
            Performed = new Period { Start = source.Start?.Format(zone), End = source.End?.Format(zone) },
            ReasonCode = [.. source.ReasonCodes.Where(r => r.Codings.Count > 0).Select(Codes)],
        };
        procedure.Extension.Add(c.SubjectLink);
        procedure.Extension.Add(StudyLink(c.Study));

        // Index operations and counted returns are in theatre by the rule itself: Clause.IndexInTheatre (index.3-in-theatre)
        // and Clause.VerdictInTheatre (verdict.1-in-theatre).
        procedure.Extension.Add(new Extension(RegistryModel.OperationSettingExtension, new Coding(Mapping.Category.System, Mapping.Category.Theatre)));
        return new RegistryRecord(new RegistryKey("Procedure", RegistryModel.ProcedureSystem, id), c.SubjectId, procedure) { Sources = [Entity(source.Ref)], Origin = c.Origin };
    }

    private RegistryRecord AdverseEventRecord(CandidateVerdict counted, RegistryRecord index, RegistryRecord returned, SubjectContext c)
    {
        var id = pseudonyms.Hash("adverse-event", study.Id, sourceName, c.Subject.Index.Key.Id, counted.Procedure.Id);
        var resource = new AdverseEvent
        {
            Meta = Profile(RegistryModel.AdverseEventProfile),
            Identifier = new Identifier(RegistryModel.AdverseEventSystem, id),
            Actuality = AdverseEvent.AdverseEventActuality.Actual,
            Event = new CodeableConcept(RegistryModel.OutcomeSystem, RegistryModel.ReturnEventCode),
            Subject = new ResourceReference(c.Patient.FullUrl),
            Date = counted.Candidate.StartAsWritten.Format(c.Subject.Calendar.Zone),
            SuspectEntity = [new AdverseEvent.SuspectEntityComponent { Instance = Link(index.Key) }],
            Study = [new ResourceReference(c.Study.FullUrl)],
        };
        resource.Extension.Add(c.SubjectLink);
        resource.Extension.Add(new Extension(RegistryModel.ReturnProcedureExtension, Link(returned.Key)));
        return new RegistryRecord(new RegistryKey("AdverseEvent", RegistryModel.AdverseEventSystem, id), c.SubjectId, resource)
        {
            Sources = [.. counted.Candidate.Procedures.Select(p => Entity(p.Ref))],
            Origin = c.Origin,
        };
    }

    private RegistryRecord OutcomeRecord(SubjectContext c)
    {
        var id = pseudonyms.Hash("outcome", study.Id, sourceName, c.Subject.Index.Key.Id);
        var open = c.Subject.Outcome == Outcome.FollowUpOpen;
        var resource = new Observation
        {
            Meta = Profile(RegistryModel.OutcomeObservationProfile),
            Identifier = [new Identifier(RegistryModel.ObservationSystem, id)],

            // Preliminary while the window is open (it may still become a return), final once it has closed; the
            // reconcile stage makes a changed final value "corrected".
            Status = open ? ObservationStatus.Preliminary : ObservationStatus.Final,
            Code = new CodeableConcept(RegistryModel.OutcomeSystem, RegistryModel.OutcomeCode),
            Subject = new ResourceReference(c.Patient.FullUrl),
            Focus = [Link(c.SubjectKey)],
            Effective = new Period { Start = c.Subject.IndexStart, End = Date(c.WindowEnd) },
            Value = new CodeableConcept(RegistryModel.OutcomeSystem, c.Subject.Outcome),
        };
        resource.Extension.Add(c.SubjectLink);
        resource.Extension.Add(StudyLink(c.Study));
        return new RegistryRecord(new RegistryKey("Observation", RegistryModel.ObservationSystem, id), c.SubjectId, resource)
        {
            Sources = [.. c.Subject.Index.Procedures.Concat(c.Subject.Returns.SelectMany(r => r.Candidate.Procedures)).Select(p => Entity(p.Ref))],
            Origin = c.Origin,
        };
    }

    // Registry model, "Risk factors": the patient's Observations with a mapped LOINC code, measured within the
    // window around the index date, copied with code, value, unit and time only.
    private IEnumerable<RegistryRecord> RiskFactorRecords(IReadOnlyList<ObservationRecord> observations, SubjectContext c)
    {
        var calendar = c.Subject.Calendar;
        var first = c.IndexDate.PlusDays(-_settings.RiskFactorDaysBefore);
        var last = c.IndexDate.PlusDays(_settings.RiskFactorDaysAfter);
        foreach (var o in observations)
        {
            if (!o.Stands || o.Value is not { } value || o.Effective is not { } effective || RiskFactorCodes(o.Code) is not { } loinc)
            {
                continue;
            }

            var date = calendar.DateOf(effective);
            if (date < first || date > last)
            {
                continue;
            }

            var id = pseudonyms.Hash("risk-factor", study.Id, sourceName, c.Subject.Index.Key.Id, o.Ref.Key.Id);
            var resource = new Observation
            {
                Meta = Profile(RegistryModel.RiskFactorObservationProfile),
                Identifier = [new Identifier(RegistryModel.ObservationSystem, id)],
                Status = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<ObservationStatus>(o.Status) ?? ObservationStatus.Unknown,
                Code = new CodeableConcept { Coding = [.. loinc.Select(code => new Coding(RegistryModel.Loinc, code))] },
                Subject = new ResourceReference(c.Patient.FullUrl),
                Effective = new FhirDateTime(effective.Format(calendar.Zone)),
                Value = new Quantity { Value = value.Value, Unit = value.Unit, System = value.System, Code = value.Code },
            };
            resource.Extension.Add(c.SubjectLink);
            resource.Extension.Add(StudyLink(c.Study));
            yield return new RegistryRecord(new RegistryKey("Observation", RegistryModel.ObservationSystem, id), c.SubjectId, resource) { Sources = [Entity(o.Ref)], Origin = c.Origin };
        }
    }

    // The distinct LOINC codes an Observation's code maps to a risk factor with, in the order met; null for none.
    // Checked for every Observation of the patient, once per subject: a loop, not a query.
    private static List<string>? RiskFactorCodes(CodedConcept code)
    {
        List<string>? codes = null;
        foreach (var match in code.Matches)
        {
            if (match.Category == Mapping.Category.RiskFactor && match.Source.System == RegistryModel.Loinc)
            {
                var loinc = match.Source.Code.Trim();
                if (codes is null)
                {
                    codes = [loinc];
                }
                else if (!codes.Contains(loinc)) // ordinal, as strings compare
                {
                    codes.Add(loinc);
                }
            }
        }

        return codes;
    }

    private static CodeableConcept Codes(CodedConcept concept) =>
        new() { Coding = [.. concept.Codings.Select(c => new Coding(c.System, c.Code.Trim()))] };

    // A reference to a record in the same transaction: its urn:uuid (resolved by the registry) and its identifier
    // (which stays meaningful whatever id the registry gave it).
    private static ResourceReference Link(RegistryKey key) => new(key.FullUrl)
    {
        Type = key.Type,
        Identifier = new Identifier(key.System, key.Value),
    };

    private static Extension StudyLink(RegistryRecord study) => new(RegistryModel.ResearchStudyExtension, new ResourceReference(study.FullUrl));

    // What every record of one subject needs: the subject, its identity, its Patient and ResearchStudy, its dates.
    private sealed class SubjectContext(Subject subject, string subjectId, RegistryRecord patient, RegistryRecord study, int windowDays)
    {
        public Subject Subject { get; } = subject;

        public string SubjectId { get; } = subjectId;

        public RegistryKey SubjectKey { get; } = new("ResearchSubject", RegistryModel.SubjectSystem, subjectId);

        /// <summary>The index operation's principal Procedure, which every identifier of the subject derives from: each record's origin.</summary>
        public string Origin { get; } = subject.Index.Key.ToString();

        public RegistryRecord Patient { get; } = patient;

        public RegistryRecord Study { get; } = study;

        /// <summary>The index date, day 0 of the window (spec, "The follow-up window").</summary>
        public LocalDate IndexDate { get; } = subject.Calendar.DateOf(subject.Index.StartAsWritten);

        /// <summary>The window's last day, inclusive.</summary>
        public LocalDate WindowEnd => IndexDate.PlusDays(windowDays);

        /// <summary>The research-subject extension of every record of the subject but the Patient.</summary>
        public Extension SubjectLink => new(RegistryModel.ResearchSubjectExtension, Link(SubjectKey));
    }
}
