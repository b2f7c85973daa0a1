using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Detection;

/// <summary>
/// Spec, "Unrelated condition": excluded only when the candidate has at least one reason and every reason maps to
/// unrelated-condition; a reason that maps to nothing, or no reason, is presumed related and the log says so.
/// </summary>
public class UnrelatedConditionTests
{
    private const string ReturnStart = "2024-03-10T10:00:00+08:00";

    [Fact]
    public void UnrelatedAllReasons_AppendicitisOnly_IsExcluded()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis));

        run.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);
        Assert.Equal([Codes.Icd10 + "|" + Codes.Appendicitis], run.SingleLog(Decision.Excluded, Clause.VerdictRelated, "Procedure/ret").Codes);
    }

    [Theory]
    [InlineData("I21.0")] // circulatory
    [InlineData("J18.9")] // respiratory
    [InlineData("N39.0")] // genitourinary
    [InlineData("S72.0")] // injury of the hip
    [InlineData("M17.1")] // arthropathy (M00-M25)
    [InlineData("K358")] // dotless
    public void UnrelatedAllReasons_OtherUnrelatedChapters_AreExcluded(string reason)
    {
        var run = Judge(p => p.Reason(reason));

        run.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);
    }

    [Fact]
    public void UnrelatedAllReasons_TwoUnrelatedReasons_IsExcluded()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis).Reason("I21.0"));

        run.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);
    }

    [Fact]
    public void UnrelatedAllReasons_OneUnrelatedAndOneComplication_Counts()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis).Reason(Codes.WoundInfection));

        run.AssertCounted("op1", "ret");
        Assert.Empty(run.Log(Decision.Assumed, Clause.UnrelatedPresumedRelated, "Procedure/ret"));
    }

    [Theory]
    [InlineData("T84.0")] // implant complication
    [InlineData("G96.0")] // CSF leak
    [InlineData("M96.8")]
    [InlineData("M48.0")] // a spine diagnosis (cohort), not unrelated
    public void UnrelatedAllReasons_RelatedReason_Counts(string reason)
    {
        var run = Judge(p => p.Reason(reason));

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void UnrelatedAllReasons_ReasonsSpreadOverTheCandidatesProcedures_AreAllRead()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics().Reason(Codes.Appendicitis))
            .Procedure("ret2", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).Reason(Codes.WoundInfection))
            .Evaluate();

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void UnrelatedPresumedRelated_NoReason_CountsWithAssumedLogEntry()
    {
        var run = Judge(_ => { });

        run.AssertCounted("op1", "ret");
        Assert.Equal("Procedure/op1", run.SingleLog(Decision.Assumed, Clause.UnrelatedPresumedRelated, "Procedure/ret").Index);
    }

    [Fact]
    public void UnrelatedPresumedRelated_UnmappedReason_CountsWithAssumedLogEntry()
    {
        var run = Judge(p => p.Reason(Codes.UnmappedDiagnosis));

        run.AssertCounted("op1", "ret");
        Assert.Single(run.Log(Decision.Assumed, Clause.UnrelatedPresumedRelated, "Procedure/ret"));
    }

    [Fact]
    public void UnrelatedPresumedRelated_UnrelatedAndUnmappedReasons_Counts()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis).Reason(Codes.UnmappedDiagnosis));

        run.AssertCounted("op1", "ret");
        Assert.Single(run.Log(Decision.Assumed, Clause.UnrelatedPresumedRelated, "Procedure/ret"));
    }

    [Fact]
    public void UnrelatedAllReasons_ReasonReferenceCondition_IsRead()
    {
        var run = Judge(p => p.ReasonRef("c1"), t => t.Condition("c1", Codes.Appendicitis));

        run.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);
        Assert.Contains("Condition/c1", run.SingleLog(Decision.Excluded, Clause.VerdictRelated, "Procedure/ret").Evidence);
    }

    [Fact]
    public void UnrelatedAllReasons_ReasonCodeAndReasonReferenceBothUnrelated_IsExcluded()
    {
        var run = Judge(p => p.Reason("I21.0").ReasonRef("c1"), t => t.Condition("c1", Codes.Appendicitis));

        run.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);
    }

    [Fact]
    public void UnrelatedAllReasons_UnrelatedCodeAndComplicationCondition_Counts()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis).ReasonRef("c1"), t => t.Condition("c1", Codes.WoundInfection));

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void UnrelatedPresumedRelated_MissingCondition_CountsAndIsLoggedMissing()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis).ReasonRef("gone"));

        run.AssertCounted("op1", "ret");
        Assert.Equal(["Condition/gone"], run.SingleLog(Decision.Missing, Clause.UnrelatedAllReasons, "Procedure/ret").Evidence);
        Assert.Single(run.Log(Decision.Assumed, Clause.UnrelatedPresumedRelated, "Procedure/ret"));
    }

    [Fact]
    public void UnrelatedPresumedRelated_ReasonReferenceToAnotherResourceType_IsPresumedRelated()
    {
        var run = Judge(p => p.Reason(Codes.Appendicitis).ReasonReference(new ResourceKey("Observation", "o1")));

        run.AssertCounted("op1", "ret");
    }

    private static RuleRun Judge(Action<ProcedureBuilder> reasons, Action<TimelineBuilder>? more = null)
    {
        var timeline = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p =>
            {
                p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics();
                reasons(p);
            });
        more?.Invoke(timeline);
        return timeline.Evaluate();
    }
}
