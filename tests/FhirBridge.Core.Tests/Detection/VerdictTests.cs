using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Verdict on a candidate return": four checks in order, the first failing one gives the single reason.</summary>
public class VerdictTests
{
    private const string ReturnStart = "2024-03-10T10:00:00+08:00";

    [Fact]
    public void Verdict_AllChecksPass_CountsWithLogEntry()
    {
        var run = new TimelineBuilder().SpineIndex().Return("ret", ReturnStart).Evaluate();

        var verdict = run.AssertCounted("op1", "ret");
        Assert.Equal(9, verdict.DaysAfterIndex);
        var entry = run.SingleLog(Decision.Counted, Clause.VerdictCounted, "Procedure/ret");
        Assert.Equal("Procedure/op1", entry.Index);
        Assert.Contains("Location/theatre", entry.Evidence);
        Assert.Contains("Organization/ortho", entry.Evidence);
    }

    [Fact]
    public void Verdict1InTheatre_WardAndOtherDepartment_ReportsNotInTheatre()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).OnWard().ByNeurosurgery())
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        var entry = run.SingleLog(Decision.Excluded, Clause.VerdictInTheatre, "Procedure/ret");
        Assert.Equal(Reason.NotInTheatre, entry.Reason);
        Assert.Equal("Procedure/op1", entry.Index);
        Assert.Equal(["Location/ward"], entry.Evidence);
    }

    [Fact]
    public void Verdict2Orthopaedics_OtherDepartmentAndPlanned_ReportsOtherDepartment()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByNeurosurgery().BasedOnCarePlan("cp1"))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.OtherDepartment);
        Assert.Single(run.Log(Decision.Excluded, Clause.VerdictOrthopaedics, "Procedure/ret"));
    }

    [Fact]
    public void Verdict3NotPlanned_PlannedAndUnrelated_ReportsPlanned()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics()
                .BasedOnCarePlan("cp1").Reason(Codes.Appendicitis))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.Planned);
        Assert.Single(run.Log(Decision.Excluded, Clause.VerdictNotPlanned, "Procedure/ret"));
    }

    [Fact]
    public void Verdict4Related_OnlyUnrelated_ReportsUnrelatedCondition()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics().Reason(Codes.Appendicitis))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);
        Assert.Single(run.Log(Decision.Excluded, Clause.VerdictRelated, "Procedure/ret"));
    }

    [Fact]
    public void Verdict_ExcludedCandidate_IsStillReportedWithItsDay()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).OnWard().ByOrthopaedics())
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.NoReturn);
        var verdict = Assert.Single(subject.Candidates);
        Assert.Equal(9, verdict.DaysAfterIndex);
        Assert.False(verdict.Counted);
    }

    [Fact]
    public void Verdict_EachCandidate_HasExactlyOneVerdictLogEntry()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("counted", "2024-03-05T10:00:00+08:00")
            .Procedure("ward", p => p.At("2024-03-10T10:00:00+08:00").Icd9(Codes.ExcisionalDebridement).OnWard().ByOrthopaedics())
            .Evaluate();

        Assert.Single(run.Log(Decision.Counted, source: "Procedure/counted"));
        Assert.Empty(run.Log(Decision.Excluded, source: "Procedure/counted"));
        Assert.Single(run.Log(Decision.Excluded, source: "Procedure/ward"));
        Assert.Empty(run.Log(Decision.Counted, source: "Procedure/ward"));
    }
}
