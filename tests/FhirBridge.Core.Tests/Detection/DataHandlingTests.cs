using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>
/// Spec, "Data handling before the rule": withdrawn data, not-done procedures and the as-of time.
/// Versions ("keeps the highest meta.versionId") are decided by the store before the rule runs; they are tested there, not here.
/// </summary>
public class DataHandlingTests
{
    [Fact]
    public void Withdrawn_EnteredInErrorIndexProcedure_IsAbsent()
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.EnteredInError()).Evaluate();

        run.AssertNoIndex();
        Assert.Equal("entered-in-error", run.SingleLog(Decision.Excluded, Clause.Withdrawn, "Procedure/op1").Reason);
    }

    [Fact]
    public void Withdrawn_EnteredInErrorReturn_IsAbsent()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00", p => p.EnteredInError())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Empty(run.SingleSubject.Candidates);
    }

    [Fact]
    public void Withdrawn_EnteredInErrorProcedureAtSameInstant_DoesNotJoinOrLeadTheOperation()
    {
        // "a" sorts before "op1": were it present it would be the principal (and a bedside code would put the operation on the ward).
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("a", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.BedsideDebridement).EnteredInError())
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Equal(["op1"], subject.Index.Procedures.Select(p => p.Ref.Key.Id));
    }

    [Fact]
    public void Withdrawn_EnteredInErrorEncounter_IsNotReadForDepartment()
    {
        var withdrawn = Run(e => e.EnteredInError().OrthopaedicsService());
        var kept = Run(e => e.OrthopaedicsService());

        withdrawn.AssertRefused("op1", Reason.OtherDepartment);
        kept.AssertSubject("op1", Outcome.NoReturn);

        static RuleRun Run(Action<EncounterBuilder> encounter) => new TimelineBuilder()
            .Encounter("e1", encounter)
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).InTheatre().InEncounter("e1"))
            .Evaluate();
    }

    [Fact]
    public void Withdrawn_EnteredInErrorEncounter_DoesNotConfirmTheatre()
    {
        // The return's own code maps to nothing and it names no Location: only its Encounter can put it in theatre.
        var withdrawn = Run(e => e.EnteredInError().InTheatre("2024-03-05T09:00:00+08:00", "2024-03-05T12:00:00+08:00"));
        var kept = Run(e => e.InTheatre("2024-03-05T09:00:00+08:00", "2024-03-05T12:00:00+08:00"));

        withdrawn.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        kept.AssertCounted("op1", "ret");

        static RuleRun Run(Action<EncounterBuilder> encounter) => new TimelineBuilder()
            .Encounter("e1", encounter)
            .SpineIndex()
            .Procedure("ret", p => p.At("2024-03-05T10:00:00+08:00").Code("http://hospital.example/proc", "LOCAL-1").ByOrthopaedics().InEncounter("e1"))
            .Evaluate();
    }

    [Fact]
    public void Withdrawn_EnteredInErrorEncounter_IsNoEncounterForTheSessionRule()
    {
        // e1 is withdrawn, so both Procedures are "without one" and 1 h apart: one operation (spec, "Operations", session).
        var run = new TimelineBuilder()
            .Encounter("e1", e => e.EnteredInError())
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("second", "2024-03-01T10:00:00+08:00")
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "second");
        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Withdrawn_EnteredInErrorCondition_IsNoReason()
    {
        // With the withdrawn appendicitis gone, the return has no reason at all: presumed related, it counts.
        var withdrawn = Run("entered-in-error");
        var confirmed = Run("confirmed");

        withdrawn.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
        Assert.Single(withdrawn.Log(Decision.Assumed, Clause.UnrelatedPresumedRelated, "Procedure/ret"));
        confirmed.AssertExcluded("op1", "ret", Reason.UnrelatedCondition);

        static RuleRun Run(string verificationStatus) => new TimelineBuilder()
            .Condition("c1", Codes.Appendicitis, verificationStatus)
            .SpineIndex()
            .Procedure("ret", p => p.At("2024-03-05T10:00:00+08:00").Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics().ReasonRef("c1"))
            .Evaluate();
    }

    [Fact]
    public void Withdrawn_EnteredInErrorCondition_IsNotReadForCohort()
    {
        var run = new TimelineBuilder()
            .Condition("c1", "S32.0", "entered-in-error")
            .Condition("c2", Codes.LumbarDiscDisorder)
            .SpineIndex(more: p => p.ReasonRef("c1").ReasonRef("c2"))
            .Evaluate();

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
    }

    [Fact]
    public void Withdrawn_EnteredInErrorServiceRequest_DoesNotMakeThePlan()
    {
        var withdrawn = Run("entered-in-error");
        var active = Run("active");

        withdrawn.AssertCounted("op1", "ret");
        active.AssertExcluded("op1", "ret", Reason.Planned);

        static RuleRun Run(string status) => new TimelineBuilder()
            .ServiceRequest("sr1", "2024-03-04T10:00:00+08:00", intent: "plan", status: status)
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00", p => p.BasedOnServiceRequest("sr1"))
            .Evaluate();
    }

    [Fact]
    public void NotPerformed_NotDoneReturn_IsIgnoredWithLogEntry()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00", p => p.NotDone())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Empty(run.SingleSubject.Candidates);
        Assert.Equal("not-done", run.SingleLog(Decision.Excluded, Clause.NotPerformed, "Procedure/ret").Reason);
    }

    [Fact]
    public void NotPerformed_NotDoneProcedureAtSameInstantWithLowerId_DoesNotBecomePrincipal()
    {
        // Were "a" kept, it would be the principal and, not completed, stop the operation being an index (index.1).
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("a", p => p.SpineFusion(TimelineBuilder.IndexStart).NotDone())
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Equal(["op1"], subject.Index.Procedures.Select(p => p.Ref.Key.Id));
    }

    [Fact]
    public void Time_ProcedureWithoutPerformedTime_IsSetAsideWithLogEntry()
    {
        var run = new TimelineBuilder().Procedure("op1", p => p.Icd9(Codes.LumbarFusion).InTheatre().ByOrthopaedics()).Evaluate();

        run.AssertNoIndex();
        Assert.Single(run.Log(Decision.Excluded, Clause.Time, "Procedure/op1"));
    }

    [Fact]
    public void AsOf_ReturnStartingAfterAsOf_IsIgnored()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-10T10:00:00+08:00")
            .Evaluate(asOf: "2024-03-10T09:59:59+08:00");

        run.AssertSubject("op1", Outcome.FollowUpOpen);
        Assert.Empty(run.SingleSubject.Candidates);
        Assert.Equal("after-as-of", run.SingleLog(Decision.Excluded, Clause.AsOf, "Procedure/ret").Reason);
    }

    [Fact]
    public void AsOf_ReturnStartingExactlyAtAsOf_Counts()
    {
        // "Procedures that start after it are ignored": one starting at the as-of instant itself has happened.
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-10T10:00:00+08:00")
            .Evaluate(asOf: "2024-03-10T02:00:00Z");

        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
    }

    [Fact]
    public void AsOf_IndexStartingAfterAsOf_IsNoSubjectYet()
    {
        var run = new TimelineBuilder().SpineIndex().Evaluate(asOf: "2024-03-01T08:59:59+08:00");

        run.AssertNoIndex();
        Assert.Single(run.Log(Decision.Excluded, Clause.AsOf, "Procedure/op1"));
    }

    [Fact]
    public void AsOf_ComparedAsInstantsAcrossOffsets_IgnoresOnlyLaterProcedures()
    {
        // 2024-03-10T01:30:00Z is 09:30 in Shanghai: the 10:00+08:00 return has not happened yet, the 09:00+08:00 one has.
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("early", "2024-03-10T09:00:00+08:00")
            .Return("late", "2024-03-10T10:00:00+08:00")
            .Evaluate(asOf: "2024-03-10T01:30:00Z");

        run.AssertSubject("op1", Outcome.UnplannedReturn, "early");
        run.AssertNotACandidate("op1", "late");
    }

    [Fact]
    public void AsOf_ProceduresAfterAsOf_TheResultHoldsUntilTheEarliestOfThemStarts()
    {
        // Two returns not yet happened: the earlier one, as an instant, is when judging again gives another result.
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("late", "2024-03-12T10:00:00+08:00")
            .Return("next", "2024-03-10T01:00:00Z")
            .Evaluate(asOf: "2024-03-10T08:00:00+08:00");

        run.AssertSubject("op1", Outcome.FollowUpOpen);
        Assert.Equal(NodaTime.Text.InstantPattern.ExtendedIso.Parse("2024-03-10T01:00:00Z").Value, run.Detection.JudgeAgainAt);
    }

    [Fact]
    public void AsOf_NothingAfterAsOf_HoldsWithoutATimeToJudgeAgain()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-10T10:00:00+08:00")
            .Evaluate(asOf: "2024-03-10T10:00:00+08:00");

        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
        Assert.Null(run.Detection.JudgeAgainAt);
    }

    [Fact]
    public void AsOf_OnlyTheIndexAfterAsOf_IsJudgedAgainWhenItStarts()
    {
        var run = new TimelineBuilder().SpineIndex().Evaluate(asOf: "2024-03-01T08:59:59+08:00");

        run.AssertNoIndex();
        Assert.Equal(NodaTime.Text.InstantPattern.ExtendedIso.Parse("2024-03-01T01:00:00Z").Value, run.Detection.JudgeAgainAt);
    }
}
