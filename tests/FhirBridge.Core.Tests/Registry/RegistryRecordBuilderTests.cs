// Assertions navigate FHIR POCOs whose every element is nullable; a missing element fails the test either way.
#nullable disable warnings

using FhirBridge.Detection;
using FhirBridge.Registry;
using FhirBridge.Tests.Builders;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Registry;

/// <summary>What the registry receives for a patient's subjects (docs/registry.md), record by record.</summary>
public class RegistryRecordBuilderTests
{
    private const string Loinc = "http://loinc.org";
    private const string Bmi = "39156-5";
    private static readonly string[] HospitalIds = ["p1", "op1", "ret"];
    private static readonly Pseudonymizer Pseudonyms = new("registry-builder-test-key-0001");

    private static IReadOnlyList<RegistryRecord> Build(TimelineBuilder timeline, string asOf = TimelineBuilder.LongAfter, RegistrySettings? settings = null)
    {
        var run = timeline.Evaluate(asOf: asOf);
        return new RegistryRecordBuilder("hospital-a", new StudyDefinition(), Pseudonyms, settings).Build(run.Timeline, run.Subjects);
    }

    private static List<T> All<T>(IReadOnlyList<RegistryRecord> records)
        where T : Resource => [.. records.Select(r => r.Resource).OfType<T>()];

    private static List<Observation> RiskFactors(IReadOnlyList<RegistryRecord> records) =>
        [.. All<Observation>(records).Where(o => o.Meta.Profile.Contains(RegistryModel.RiskFactorObservationProfile))];

    private static Observation Outcome(IReadOnlyList<RegistryRecord> records) =>
        All<Observation>(records).Single(o => o.Meta.Profile.Contains(RegistryModel.OutcomeObservationProfile));

    [Fact]
    public void Build_NoSubject_BuildsNothing()
    {
        Assert.Empty(Build(new TimelineBuilder().Return("ret", "2024-03-05T10:00:00+08:00")));
    }

    [Fact]
    public void Build_SubjectWithCountedReturn_PatientSubjectProceduresAdverseEventAndOutcome()
    {
        var records = Build(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00"));

        Assert.Equal(["Patient", "ResearchSubject", "Procedure", "Procedure", "AdverseEvent", "Observation"], records.Select(r => r.Resource.TypeName));
        var subject = All<ResearchSubject>(records).Single();
        Assert.Equal(ResearchSubject.ResearchSubjectStatus.OffStudy, subject.Status);
        Assert.Equal("unclassified", subject.AssignedArm); // the standard index records no diagnosis
        Assert.Equal(("2024-03-01T09:00:00+08:00", "2024-03-31"), (subject.Period.Start, subject.Period.End));

        var adverseEvent = All<AdverseEvent>(records).Single();
        var index = records.Single(r => r.Resource is Procedure p && p.Code.Coding[0].Code == "81.07");
        var returned = records.Single(r => r.Resource is Procedure p && p.Code.Coding[0].Code == "86.22");
        Assert.Equal(index.FullUrl, adverseEvent.SuspectEntity.Single().Instance.Reference);
        Assert.Equal(returned.FullUrl, ((ResourceReference)adverseEvent.GetExtension(RegistryModel.ReturnProcedureExtension).Value).Reference);
        Assert.Equal("2024-03-05T10:00:00+08:00", adverseEvent.Date);
        Assert.Equal(RegistryModel.ReturnEventCode, adverseEvent.Event.Coding.Single().Code);

        var outcome = Outcome(records);
        Assert.Equal((ObservationStatus.Final, "unplanned-return"), (outcome.Status, ((CodeableConcept)outcome.Value).Coding.Single().Code));
    }

    [Fact]
    public void Build_ReturnNotCounted_NoAdverseEventNoReturnProcedure()
    {
        // A ward procedure is not a return (return.3-in-theatre): only the index operation goes to the registry.
        var records = Build(new TimelineBuilder().SpineIndex().Return("ward", "2024-03-05T10:00:00+08:00", p => p.OnWard()));

        Assert.Empty(All<AdverseEvent>(records));
        Assert.Single(All<Procedure>(records));
        Assert.Equal("no-return", ((CodeableConcept)Outcome(records).Value).Coding.Single().Code);
    }

    [Fact]
    public void Build_WindowOpen_SubjectOnStudyOutcomePreliminaryFollowUpOpen()
    {
        var records = Build(new TimelineBuilder().SpineIndex(), asOf: "2024-03-10T00:00:00+08:00");

        var subjectRecord = records.Single(r => r.Resource is ResearchSubject);
        Assert.Equal(ResearchSubject.ResearchSubjectStatus.OnStudy, ((ResearchSubject)subjectRecord.Resource).Status);
        Assert.Equal(DateTimeOffset.Parse("2024-04-01T00:00:00+08:00", System.Globalization.CultureInfo.InvariantCulture), subjectRecord.OpenUntil);
        var outcome = Outcome(records);
        Assert.Equal((ObservationStatus.Preliminary, "follow-up-open"), (outcome.Status, ((CodeableConcept)outcome.Value).Coding.Single().Code));
    }

    [Fact]
    public void Build_Patient_PseudonymGenderBirthYearAndOneLinkPerSubject()
    {
        var records = Build(new TimelineBuilder().SpineIndex().SpineIndex("op2", "2024-06-01T09:00:00+08:00"));

        var patient = All<Patient>(records).Single();
        Assert.Equal(Pseudonyms.Patient("hospital-a", "p1"), patient.Identifier.Single().Value);
        Assert.Equal("1970", patient.BirthDate);
        Assert.Equal(AdministrativeGender.Female, patient.Gender);
        var links = patient.Extension.Where(e => e.Url == RegistryModel.ResearchSubjectExtension).Select(e => (ResourceReference)e.Value).ToList();
        Assert.Equal(2, links.Count);
        Assert.All(links, l => Assert.Null(l.Reference)); // identifier only: not every subject is in every transaction
        Assert.Equal(All<ResearchSubject>(records).Select(s => s.Identifier[0].Value).Order(StringComparer.Ordinal), links.Select(l => l.Identifier.Value));
        Assert.Empty(patient.Name);
        Assert.Empty(patient.Address);
        Assert.Empty(patient.Telecom);
    }

    [Fact]
    public void Build_BirthYearOff_NoBirthDate()
    {
        var records = Build(new TimelineBuilder().SpineIndex(), settings: new RegistrySettings { BirthYear = false });

        Assert.Null(All<Patient>(records).Single().BirthDate);
    }

    [Fact]
    public void Build_EveryRecordButThePatient_LinksItsSubjectLiterallyAndDeclaresItsProfile()
    {
        var records = Build(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00").Observation("bmi", Loinc, Bmi, 31.4m, "kg/m2", "2024-02-28T10:00:00+08:00"));

        var subject = records.Single(r => r.Resource is ResearchSubject);
        foreach (var record in records.Where(r => r.Resource is not (Patient or ResearchSubject)))
        {
            var link = (ResourceReference)((DomainResource)record.Resource).GetExtension(RegistryModel.ResearchSubjectExtension).Value;
            Assert.Equal(subject.FullUrl, link.Reference);
            Assert.Equal(subject.Key.Value, link.Identifier.Value);
        }

        Assert.All(records, r => Assert.Single(r.Resource.Meta.Profile));
        Assert.All(records, r => Assert.Null(((DomainResource)r.Resource).Text));
    }

    [Fact]
    public void Build_Procedure_SourceCodesCategoriesTimesReasonsAndTheatre_NoDisplays()
    {
        var records = Build(new TimelineBuilder().SpineIndex(end: "2024-03-01T12:30:00+08:00", more: p => p.Reason("M51.1")));

        var procedure = All<Procedure>(records).Single();
        Assert.Equal(("http://hl7.org/fhir/sid/icd-9-cm", "81.07"), (procedure.Code.Coding.Single().System, procedure.Code.Coding.Single().Code));
        Assert.Contains(procedure.Category.Coding, c => c.Code == "spine-surgery");
        Assert.Equal(("2024-03-01T09:00:00+08:00", "2024-03-01T12:30:00+08:00"), (((Period)procedure.Performed).Start, ((Period)procedure.Performed).End));
        Assert.Equal("M51.1", procedure.ReasonCode.Single().Coding.Single().Code);
        Assert.Equal("theatre", ((Coding)procedure.GetExtension(RegistryModel.OperationSettingExtension).Value).Code);
        Assert.DoesNotContain("display", new FhirJsonSerializer().SerializeToString(procedure), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2024-01-31T10:00:00+08:00", true)] // day -30
    [InlineData("2024-01-30T23:59:00+08:00", false)] // day -31
    [InlineData("2024-03-31T23:59:00+08:00", true)] // day +30
    [InlineData("2024-04-01T00:00:00+08:00", false)] // day +31
    [InlineData("2024-01-30T16:30:00Z", true)] // day -30 in Shanghai, written in UTC on day -31
    [InlineData("2024-01-31", true)] // date only, day -30
    public void Build_RiskFactor_CopiedOnlyInsideTheWindowAroundTheIndexDate(string effective, bool copied)
    {
        var records = Build(new TimelineBuilder().SpineIndex().Observation("bmi", Loinc, Bmi, 31.4m, "kg/m2", effective));

        Assert.Equal(copied ? 1 : 0, RiskFactors(records).Count);
    }

    [Fact]
    public void Build_RiskFactorWindow_IsConfigurable()
    {
        var timeline = new TimelineBuilder().SpineIndex().Observation("bmi", Loinc, Bmi, 31.4m, "kg/m2", "2024-02-20T10:00:00+08:00");

        Assert.Empty(RiskFactors(Build(timeline, settings: new RegistrySettings { RiskFactorDaysBefore = 7 })));
        Assert.Single(RiskFactors(Build(timeline, settings: new RegistrySettings { RiskFactorDaysBefore = 10 })));
    }

    [Fact]
    public void Build_RiskFactor_CopiedWithCodeValueUnitAndTimeOnly()
    {
        var records = Build(new TimelineBuilder().SpineIndex().Observation("hba1c", Loinc, "4548-4", 7.2m, "%", "2024-02-28T10:00:00+08:00"));

        var observation = RiskFactors(records).Single();
        Assert.Equal((Loinc, "4548-4"), (observation.Code.Coding.Single().System, observation.Code.Coding.Single().Code));
        var quantity = (Quantity)observation.Value;
        Assert.Equal((7.2m, "%", "http://unitsofmeasure.org", "%"), (quantity.Value, quantity.Unit, quantity.System, quantity.Code));
        Assert.Equal("2024-02-28T10:00:00+08:00", ((FhirDateTime)observation.Effective).Value);
        Assert.Equal(ObservationStatus.Final, observation.Status);
        Assert.Null(observation.Encounter);
        Assert.Empty(observation.Note);
        Assert.Empty(observation.Performer);
    }

    [Theory]
    [InlineData(Loinc, "2345-7", "final")] // glucose: a LOINC code that is not a mapped risk factor
    [InlineData("http://hospital.example/lab", "39156-5", "final")] // the BMI code under a local system
    [InlineData(Loinc, Bmi, "entered-in-error")]
    [InlineData(Loinc, Bmi, "cancelled")]
    [InlineData(Loinc, Bmi, "registered")]
    public void Build_ObservationNotARiskFactorOrNotStanding_NotCopied(string system, string code, string status)
    {
        var records = Build(new TimelineBuilder().SpineIndex().Observation("o1", system, code, 31.4m, "kg/m2", "2024-02-28T10:00:00+08:00", status));

        Assert.Empty(RiskFactors(records));
    }

    [Fact]
    public void Build_EveryDefaultRiskFactor_IsCopied()
    {
        var timeline = new TimelineBuilder().SpineIndex();
        string[] codes = ["39156-5", "4548-4", "1751-7", "718-7", "1988-5", "4537-7", "72514-3"];
        foreach (var code in codes)
        {
            timeline.Observation("o" + code, Loinc, code, 1m, "1", "2024-02-28T10:00:00+08:00");
        }

        Assert.Equal(codes.Order(StringComparer.Ordinal), RiskFactors(Build(timeline)).Select(o => o.Code.Coding.Single().Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Build_Identities_StableAcrossRunsAndKeyDependent()
    {
        var timeline = new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00");
        var first = Build(timeline).Select(r => r.Key).ToList();
        var second = Build(timeline).Select(r => r.Key).ToList();
        var run = timeline.Evaluate();
        var otherKey = new RegistryRecordBuilder("hospital-a", new StudyDefinition(), new Pseudonymizer("another-key-entirely-0002")).Build(run.Timeline, run.Subjects).Select(r => r.Key).ToList();

        Assert.Equal(first, second);
        Assert.Empty(first.Intersect(otherKey));
        Assert.Equal(first.Count, first.Distinct().Count());
    }

    [Fact]
    public void Build_Sources_ArePseudonymsWithVersions_NeverTheHospitalIds()
    {
        var records = Build(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00"));

        var sources = records.SelectMany(r => r.Sources).Distinct().ToList();
        Assert.Contains(sources, s => s.Type == "Patient");
        Assert.Equal(2, sources.Count(s => s.Type == "Procedure"));
        Assert.All(sources, s => Assert.DoesNotContain(s.Pseudonym, HospitalIds));
        Assert.All(sources, s => Assert.Equal("1", s.VersionId));
    }

    [Fact]
    public void Build_Origins_TheIndexOperationForASubjectsRecordsThePatientForThePatient_NeverSent()
    {
        var records = Build(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00"));

        // Every identifier of a subject derives from its index operation, so whoever holds that Procedure now is the
        // one patient who may hold the subject's records (docs/registry.md, "A resource moved to another patient").
        Assert.Equal("Patient/p1", records.Single(r => r.Key.Type == "Patient").Origin);
        Assert.All(records.Where(r => r.Key.Type != "Patient"), r => Assert.Equal("Procedure/op1", r.Origin));
        var json = new FhirJsonSerializer();
        Assert.All(records, r => Assert.DoesNotContain("op1", json.SerializeToString(r.Resource), StringComparison.Ordinal));
    }
}
