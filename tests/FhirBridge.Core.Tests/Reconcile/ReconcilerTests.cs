using FhirBridge.Reconcile;
using FhirBridge.Registry;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Reconcile;

/// <summary>Reconcile: the registry is kept equal to what the data supports, and a repeated run changes nothing.</summary>
public class ReconcilerTests
{
    private static readonly RegistryRecord Study = new(new RegistryKey("ResearchStudy", "https://clinicaltrials.gov", "NCT05995327"), "", new ResearchStudy { Status = ResearchStudy.ResearchStudyStatus.Active });

    private static RegistryRecord Patient() => new(new RegistryKey("Patient", "urn:pseudonym", "pp1"), "s1", new Patient { Gender = AdministrativeGender.Female });

    private static RegistryRecord Subject(string id, ResearchSubject.ResearchSubjectStatus status = ResearchSubject.ResearchSubjectStatus.OffStudy, string arm = "degenerative") =>
        new(new RegistryKey("ResearchSubject", "urn:subject", id), id, new ResearchSubject { Status = status, AssignedArm = arm, Study = new ResourceReference("urn:uuid:00000000-0000-0000-0000-000000000001"), Individual = new ResourceReference("urn:uuid:00000000-0000-0000-0000-000000000002") });

    private static RegistryRecord Procedure(string id, string subject) =>
        new(new RegistryKey("Procedure", "urn:procedure", id), subject, new Procedure { Status = EventStatus.Completed, Subject = new ResourceReference("urn:uuid:00000000-0000-0000-0000-000000000002") });

    [Fact]
    public void Reconcile_NewSubject_IsACreateWithStudyPatientAndItsRecords()
    {
        var (projection, changes) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        var change = Assert.Single(changes);
        Assert.Equal(("s1", "create"), (change.SubjectKey, change.Kind));
        Assert.Equal(["ResearchStudy", "Patient", "ResearchSubject", "Procedure"], change.Transaction.Entry.Select(e => e.Resource!.TypeName));
        Assert.Equal(3, projection.Count);
    }

    [Fact]
    public void Reconcile_SameRecordsAgain_ChangesNothing()
    {
        var (projection, _) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        var (_, changes) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Procedure("op1", "s1")], projection);

        Assert.Empty(changes);
    }

    [Fact]
    public void Reconcile_OneSubjectChanged_SendsOnlyThatSubject()
    {
        var (projection, _) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Subject("s2")], []);

        var (_, changes) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Subject("s2", arm: "tumor")], projection);

        var change = Assert.Single(changes);
        Assert.Equal(("s2", "update"), (change.SubjectKey, change.Kind));
    }

    [Fact]
    public void Reconcile_ReturnNoLongerSupported_IsSentEnteredInError()
    {
        var (projection, _) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Procedure("op1", "s1"), Procedure("ret", "s1")], []);

        var (newProjection, changes) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Procedure("op1", "s1")], projection);

        var change = Assert.Single(changes);
        Assert.Equal("update", change.Kind);
        var retracted = change.Transaction.Entry.Single(e => e.Request!.Url!.Contains("ret", StringComparison.Ordinal));
        Assert.Equal(EventStatus.EnteredInError, ((Procedure)retracted.Resource!).Status);
        Assert.DoesNotContain(newProjection, p => p.RecordKey.EndsWith("|ret", StringComparison.Ordinal));
    }

    [Fact]
    public void Reconcile_SubjectNoLongerSupported_IsWithdrawn()
    {
        var (projection, _) = Reconciler.Reconcile(Study, [Patient(), Subject("s1"), Procedure("op1", "s1")], []);

        var (newProjection, changes) = Reconciler.Reconcile(Study, [], projection);

        var change = Assert.Single(changes);
        Assert.Equal(("s1", "retract"), (change.SubjectKey, change.Kind));
        var subject = (ResearchSubject)change.Transaction.Entry.Single(e => e.Resource is ResearchSubject).Resource!;
        Assert.Equal(ResearchSubject.ResearchSubjectStatus.Withdrawn, subject.Status);
        Assert.All(change.Transaction.Entry, e => Assert.Equal(Bundle.HTTPVerb.PUT, e.Request!.Method));
        Assert.Empty(newProjection);
    }
}
