using FhirBridge.Reconcile;
using FhirBridge.Registry;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Reconcile;

/// <summary>Reconcile: the registry is kept equal to what the data supports, and a repeated run changes nothing.</summary>
public class ReconcilerTests
{
    private const string Source = "hospital-a";
    private static readonly DateTimeOffset Recorded = new(2025, 12, 31, 0, 0, 0, TimeSpan.Zero);
    private static readonly RegistryRecord Study = new(new RegistryKey("ResearchStudy", "https://clinicaltrials.gov", "NCT05995327"), "", new ResearchStudy { Status = ResearchStudy.ResearchStudyStatus.Active });

    private static RegistryRecord Patient() => new(new RegistryKey("Patient", "urn:pseudonym", "pp1"), "s1", new Patient { Gender = AdministrativeGender.Female })
    {
        Sources = [new SourceEntity("Patient", "h-patient", "1")],
    };

    private static RegistryRecord Subject(string id, ResearchSubject.ResearchSubjectStatus status = ResearchSubject.ResearchSubjectStatus.OffStudy, string arm = "degenerative") =>
        new(new RegistryKey("ResearchSubject", "urn:subject", id), id, new ResearchSubject { Status = status, AssignedArm = arm, Study = new ResourceReference("urn:uuid:00000000-0000-0000-0000-000000000001"), Individual = new ResourceReference("urn:uuid:00000000-0000-0000-0000-000000000002") })
        {
            Sources = [new SourceEntity("Procedure", "h-" + id, "2")],
        };

    private static RegistryRecord Procedure(string id, string subject) =>
        new(new RegistryKey("Procedure", "urn:procedure", id), subject, new Procedure { Status = EventStatus.Completed, Subject = new ResourceReference("urn:uuid:00000000-0000-0000-0000-000000000002") })
        {
            Sources = [new SourceEntity("Procedure", "h-" + id, "1")],
        };

    private static RegistryRecord AdverseEvent(string id, string subject) =>
        new(new RegistryKey("AdverseEvent", "urn:adverse-event", id), subject, new AdverseEvent { Actuality = Hl7.Fhir.Model.AdverseEvent.AdverseEventActuality.Actual });

    private static RegistryRecord Outcome(string subject, string value, ObservationStatus status = ObservationStatus.Final) =>
        new(new RegistryKey("Observation", "urn:observation", "outcome-" + subject), subject, new Observation
        {
            Meta = new Meta { Profile = [RegistryModel.OutcomeObservationProfile] },
            Status = status,
            Code = new CodeableConcept(RegistryModel.OutcomeSystem, RegistryModel.OutcomeCode),
            Value = new CodeableConcept(RegistryModel.OutcomeSystem, value),
        });

    private static (IReadOnlyList<ProjectedRecord> Projection, IReadOnlyList<ChangeSet> Changes) Reconcile(IReadOnlyList<RegistryRecord> records, IReadOnlyList<ProjectedRecord> previous) =>
        Reconciler.Reconcile(Source, Study, records, previous, Recorded);

    private static T Sent<T>(ChangeSet change)
        where T : Resource => (T)change.Transaction.Entry.Single(e => e.Resource is T).Resource!;

    [Fact]
    public void Reconcile_NewSubject_IsAnAdditionWithStudyPatientItsRecordsAndProvenance()
    {
        var (projection, changes) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        var change = Assert.Single(changes);
        Assert.Equal(("s1", ProvenanceBuilder.Reasons.SubjectAdded), (change.SubjectKey, change.Reason));
        Assert.Equal(["ResearchStudy", "Patient", "ResearchSubject", "Procedure", "Provenance"], change.Transaction.Entry.Select(e => e.Resource!.TypeName));
        Assert.Equal(3, projection.Count);
    }

    [Fact]
    public void Reconcile_SameRecordsAgain_ChangesNothing()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        var (_, changes) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], projection);

        Assert.Empty(changes);
    }

    [Fact]
    public void Reconcile_Origins_AreKeptWithTheProjectionAndAnOriginAloneChangesNothingInTheRegistry()
    {
        var (held, _) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        // Rows held from before origins were kept: the same records, now with their origins.
        var (projection, changes) = Reconcile(
            [Patient() with { Origin = "Patient/p1" }, Subject("s1") with { Origin = "Procedure/op1" }, Procedure("op1", "s1") with { Origin = "Procedure/op1" }],
            held);

        Assert.Empty(changes);
        Assert.Equal(["Patient/p1", "Procedure/op1", "Procedure/op1"], projection.Select(p => p.Origin));
        Assert.NotEqual(held, projection); // so the store writes the rows again, with their origins
    }

    [Fact]
    public void Reconcile_OneSubjectChanged_SendsOnlyThatSubject()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Subject("s2")], []);

        var (_, changes) = Reconcile([Patient(), Subject("s1"), Subject("s2", arm: "tumor")], projection);

        var change = Assert.Single(changes);
        Assert.Equal(("s2", ProvenanceBuilder.Reasons.SubjectUpdated), (change.SubjectKey, change.Reason));
    }

    [Fact]
    public void Reconcile_ReturnNoLongerSupported_ProcedureEnteredInErrorAndAdverseEventDeleted()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1"), Procedure("ret", "s1"), AdverseEvent("ae1", "s1")], []);

        var (newProjection, changes) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], projection);

        var change = Assert.Single(changes);
        Assert.Equal(ProvenanceBuilder.Reasons.ReturnRetracted, change.Reason);
        var retracted = change.Transaction.Entry.Single(e => e.Request!.Url!.Contains("|ret", StringComparison.Ordinal));
        Assert.Equal(EventStatus.EnteredInError, ((Procedure)retracted.Resource!).Status);
        var delete = change.Transaction.Entry.Single(e => e.Request!.Method == Bundle.HTTPVerb.DELETE);
        Assert.Equal("AdverseEvent?identifier=urn%3Aadverse-event|ae1", delete.Request!.Url);
        Assert.Null(delete.Resource);
        Assert.DoesNotContain(newProjection, p => p.RecordKey.EndsWith("|ret", StringComparison.Ordinal) || p.RecordKey.EndsWith("|ae1", StringComparison.Ordinal));
        var provenance = Sent<Provenance>(change);
        Assert.Equal("NULLIFY", provenance.Activity!.Coding[0].Code);
        Assert.Contains(provenance.Target, t => t.Type == "AdverseEvent" && t.Identifier?.Value == "ae1" && t.Reference is null);

        // The rows it retracts go with it, as they were held, should the registry refuse it for good.
        Assert.Equal(projection.Where(p => p.RecordKey.EndsWith("|ret", StringComparison.Ordinal) || p.RecordKey.EndsWith("|ae1", StringComparison.Ordinal)), change.Retracted);
    }

    [Fact]
    public void Reconcile_TwoSubjectsChangeOneRetracts_OnlyThatChangeSetCarriesTheRetractedRows()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Subject("s2"), Procedure("op2", "s2")], []);

        var (_, changes) = Reconcile([Patient(), Subject("s1", arm: "tumor")], projection);

        Assert.Equal(["s1", "s2"], changes.Select(c => c.SubjectKey));
        Assert.Empty(changes[0].Retracted);
        Assert.Equal(projection.Where(p => p.SubjectKey == "s2"), changes[1].Retracted);
    }

    [Fact]
    public void Reconcile_SubjectNoLongerSupported_IsWithdrawnItsObservationsEnteredInError()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1"), Outcome("s1", "no-return")], []);

        var (newProjection, changes) = Reconcile([], projection);

        var change = Assert.Single(changes);
        Assert.Equal(("s1", ProvenanceBuilder.Reasons.SubjectRetracted), (change.SubjectKey, change.Reason));
        Assert.Equal(ResearchSubject.ResearchSubjectStatus.Withdrawn, Sent<ResearchSubject>(change).Status);
        Assert.Equal(ObservationStatus.EnteredInError, Sent<Observation>(change).Status);
        // The Patient the registry holds is sent unchanged, so the withdrawn records' references resolve.
        Assert.Equal(Patient().Key.RequestUrl, change.Transaction.Entry.Single(e => e.Resource is Patient).Request!.Url);
        Assert.All(change.Transaction.Entry, e => Assert.Equal(Bundle.HTTPVerb.PUT, e.Request!.Method));
        Assert.Empty(newProjection);
    }

    [Fact]
    public void Reconcile_FinalOutcomeChanges_IsSentCorrectedAndStaysCorrected()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Outcome("s1", "unplanned-return")], []);

        var (corrected, changes) = Reconcile([Patient(), Subject("s1"), Outcome("s1", "no-return")], projection);
        var (_, again) = Reconcile([Patient(), Subject("s1"), Outcome("s1", "no-return")], corrected);

        Assert.Equal(ObservationStatus.Corrected, Sent<Observation>(Assert.Single(changes)).Status);
        Assert.Empty(again);
    }

    [Fact]
    public void Reconcile_PreliminaryOutcomeBecomesFinal_IsNotACorrection()
    {
        var (projection, _) = Reconcile([Patient(), Subject("s1"), Outcome("s1", "follow-up-open", ObservationStatus.Preliminary)], []);

        var (_, changes) = Reconcile([Patient(), Subject("s1"), Outcome("s1", "no-return")], projection);

        Assert.Equal(ObservationStatus.Final, Sent<Observation>(Assert.Single(changes)).Status);
    }

    [Fact]
    public void Reconcile_Provenance_TargetsEveryRecordNamesPseudonymousSourcesAndIsAtADeterministicId()
    {
        var (_, first) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], []);
        var (_, second) = Reconcile([Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        var provenance = Sent<Provenance>(first[0]);
        var entry = first[0].Transaction.Entry.Single(e => e.Resource is Provenance);
        Assert.Equal($"Provenance/{provenance.Id}", entry.Request!.Url);
        Assert.Equal(Sent<Provenance>(second[0]).Id, provenance.Id);
        Assert.Equal(["ResearchStudy", "Patient", "ResearchSubject", "Procedure"], provenance.Target.Select(t => t.Type));
        Assert.Equal(["h-patient", "h-op1", "h-s1"], provenance.Entity.Select(e => e.What!.Identifier!.Value));
        Assert.All(provenance.Entity, e => Assert.Equal(Source, e.What!.Identifier!.Assigner!.Display));
        Assert.Equal(Recorded, provenance.Recorded);
        Assert.Equal("CREATE", provenance.Activity!.Coding[0].Code);
    }

    [Fact]
    public void Reconcile_SameChangeLater_GetsItsOwnProvenance()
    {
        var (_, first) = Reconcile([Patient(), Subject("s1")], []);
        var (_, later) = Reconciler.Reconcile(Source, Study, [Patient(), Subject("s1")], [], Recorded.AddDays(1));

        Assert.NotEqual(Sent<Provenance>(first[0]).Id, Sent<Provenance>(later[0]).Id);
    }
}
