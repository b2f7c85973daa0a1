using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>
/// Spec, "Cohort group": the principal's reasonCode, then its reasonReference Conditions, then the other Procedures,
/// then the index Encounter's diagnoses by rank (unranked last); the first that maps gives the group, else unclassified.
/// </summary>
public class CohortGroupTests
{
    [Theory]
    [InlineData("M51.1", "degenerative")] // by prefix M51
    [InlineData("M48.0", "degenerative")]
    [InlineData("M41.1", "deformity")]
    [InlineData("Q76.4", "deformity")]
    [InlineData("C41.2", "tumor")]
    [InlineData("D16.6", "tumor")]
    [InlineData("S32.0", "fracture")]
    [InlineData("M48.5", "fracture")]
    [InlineData("T08", "fracture")]
    public void CohortOrder_DefaultMappings_GiveTheFourGroups(string diagnosis, string group)
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason(diagnosis)).Evaluate();

        Assert.Equal(group, run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_PrefixMatch_M51_1IsDegenerativeWithPrefixLogged()
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason(Codes.LumbarDiscDisorder)).Evaluate();

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
        var entry = run.SingleLog(Decision.Mapped, Clause.CohortOrder);
        Assert.Equal("M51", entry.Prefix);
        Assert.Equal("Procedure/op1", entry.Index);
    }

    [Fact]
    public void CohortOrder_PrincipalReasonCode_BeforeItsReasonReference()
    {
        var run = new TimelineBuilder()
            .Condition("c1", "S32.0")
            .SpineIndex(more: p => p.ReasonRef("c1").Reason(Codes.LumbarDiscDisorder))
            .Evaluate();

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_ReasonCodes_InListedOrder()
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason("S32.0").Reason(Codes.LumbarDiscDisorder)).Evaluate();

        Assert.Equal("fracture", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_PrincipalReasonReference_BeforeOtherProcedures()
    {
        var run = new TimelineBuilder()
            .Condition("c1", "C41.2")
            .SpineIndex(end: "2024-03-01T12:00:00+08:00", more: p => p.ReasonRef("c1"))
            .Procedure("b", p => p.At("2024-03-01T09:30:00+08:00").Icd9(Codes.Discectomy).Reason("M41.1"))
            .Evaluate();

        Assert.Equal("tumor", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_OtherProcedures_InOperationOrder()
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Procedure("b", p => p.At("2024-03-01T09:30:00+08:00").Icd9(Codes.Discectomy).Reason("M41.1"))
            .Procedure("c", p => p.At("2024-03-01T09:10:00+08:00").Icd9(Codes.Discectomy).Reason("C41.2"))
            .Evaluate();

        Assert.Equal("tumor", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_OtherProcedures_BeforeEncounterDiagnoses()
    {
        var run = new TimelineBuilder()
            .Condition("c1", "S32.0")
            .Encounter("e1", e => e.Diagnosis("c1", 1))
            .SpineIndex(end: "2024-03-01T12:00:00+08:00", more: p => p.InEncounter("e1"))
            .Procedure("b", p => p.At("2024-03-01T09:30:00+08:00").Icd9(Codes.Discectomy).Reason("M41.1"))
            .Evaluate();

        Assert.Equal("deformity", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_EncounterDiagnoses_ByRankAscending()
    {
        var run = new TimelineBuilder()
            .Condition("c1", Codes.LumbarDiscDisorder)
            .Condition("c2", "S22.0")
            .Encounter("e1", e => e.Diagnosis("c1", 2).Diagnosis("c2", 1))
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Evaluate();

        Assert.Equal("fracture", run.SingleSubject.Cohort);
        Assert.Equal("Condition/c2/_history/1", run.SingleLog(Decision.Mapped, Clause.CohortOrder).Source);
    }

    [Fact]
    public void CohortOrder_UnrankedDiagnoses_LastInListedOrder()
    {
        var run = new TimelineBuilder()
            .Condition("c1", "C41.2")
            .Condition("c2", "Q76.4")
            .Condition("c3", "M47.8")
            .Encounter("e1", e => e.Diagnosis("c1").Diagnosis("c2").Diagnosis("c3", 3))
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Evaluate();

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_UnrankedDiagnoses_FirstListedWins()
    {
        var run = new TimelineBuilder()
            .Condition("c1", Codes.UnmappedDiagnosis)
            .Condition("c2", "Q76.4")
            .Condition("c3", "C41.2")
            .Encounter("e1", e => e.Diagnosis("c1").Diagnosis("c2").Diagnosis("c3"))
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Evaluate();

        Assert.Equal("deformity", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_DiagnosisMappingOnlyToANonCohortCategory_IsSkipped()
    {
        // T81.4 maps (procedure-complication) but to no group; the next diagnosis gives the group.
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason(Codes.WoundInfection).Reason("S32.0")).Evaluate();

        Assert.Equal("fracture", run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_NothingMaps_IsUnclassifiedAndLoggedUnmapped()
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason(Codes.UnmappedDiagnosis)).Evaluate();

        Assert.Equal(CohortGroup.Unclassified, run.SingleSubject.Cohort);
        Assert.Null(run.SingleSubject.CohortEvidence);
        Assert.Equal(CohortGroup.Unclassified, run.SingleLog(Decision.Unmapped, Clause.CohortOrder).Reason);
    }

    [Fact]
    public void CohortOrder_NoDiagnosisAtAll_IsUnclassified()
    {
        var run = new TimelineBuilder().SpineIndex().Evaluate();

        Assert.Equal(CohortGroup.Unclassified, run.SingleSubject.Cohort);
    }

    [Fact]
    public void CohortOrder_MissingDiagnosisCondition_IsLoggedAndTheNextOneRead()
    {
        var run = new TimelineBuilder()
            .Condition("c2", "S32.0")
            .Encounter("e1", e => e.Diagnosis("gone", 1).Diagnosis("c2", 2))
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Evaluate();

        Assert.Equal("fracture", run.SingleSubject.Cohort);
        Assert.Equal(["Condition/gone"], run.SingleLog(Decision.Missing, Clause.CohortOrder, "Encounter/e1").Evidence);
    }

    [Fact]
    public void CohortOrder_ReturnsDiagnoses_AreNotRead()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-10T10:00:00+08:00", p => p.Reason("S32.0"))
            .Evaluate();

        Assert.Equal(CohortGroup.Unclassified, run.SingleSubject.Cohort);
    }
}
