using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Outcome of a subject, as of a time", and "Unit of analysis": one subject per index operation.</summary>
public class OutcomeTests
{
    [Fact]
    public void Outcome_CountedReturn_IsUnplannedReturn()
    {
        var run = new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00").Evaluate();

        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
        Assert.Equal(Outcome.UnplannedReturn, run.SingleLog(Decision.Index, Clause.OutcomeAsOf, "Procedure/op1").Reason);
    }

    [Fact]
    public void Outcome_CountedReturnWhileTheWindowIsOpen_IsUnplannedReturn()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00")
            .Evaluate(asOf: "2024-03-06T00:00:00+08:00");

        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
    }

    [Theory]
    [InlineData("2024-03-01T09:00:00+08:00", Outcome.FollowUpOpen)] // day 0, at the index start
    [InlineData("2024-03-31T23:59:59+08:00", Outcome.FollowUpOpen)] // day 30
    [InlineData("2024-03-31T15:59:59Z", Outcome.FollowUpOpen)] // day 30 in Shanghai, written in UTC
    [InlineData("2024-04-01T00:00:00+08:00", Outcome.NoReturn)] // day 31
    [InlineData("2024-03-31T16:00:00Z", Outcome.NoReturn)] // day 31 in Shanghai, written in UTC
    public void Outcome_NoReturnCounted_FollowUpOpenUpToDay30ThenNoReturn(string asOf, string outcome)
    {
        var run = new TimelineBuilder().SpineIndex().Evaluate(asOf: asOf);

        run.AssertSubject("op1", outcome);
    }

    [Fact]
    public void Outcome_NoZoneConfigured_AsOfDateTakenAtTheIndexOffset()
    {
        // 2024-03-31T17:00:00Z is 1 April 01:00 at the index's +08:00: day 31.
        var run = new TimelineBuilder().SpineIndex().Evaluate(asOf: "2024-03-31T17:00:00Z", zone: null);

        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Outcome_WindowDaysSetting_ClosesTheWindow()
    {
        var run = new TimelineBuilder().SpineIndex().Evaluate(asOf: "2024-03-09T00:00:00+08:00", study: new StudyDefinition { WindowDays = 7 });

        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Outcome_OnlyExcludedCandidatesAndWindowOpen_IsFollowUpOpen()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00", p => p.BasedOnCarePlan("cp1"))
            .Evaluate(asOf: "2024-03-20T00:00:00+08:00");

        run.AssertSubject("op1", Outcome.FollowUpOpen);
        run.AssertExcluded("op1", "ret", Reason.Planned);
    }

    [Fact]
    public void Outcome_OnlyExcludedCandidatesAndWindowClosed_IsNoReturn()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00", p => p.BasedOnCarePlan("cp1"))
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Subjects_TwoIndexOperationsMonthsApart_AreTwoSubjects()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-05T10:00:00+08:00")
            .Procedure("op2", p => p.SpineFusion("2024-09-01T09:00:00+08:00").Reason("S32.0"))
            .Evaluate(asOf: "2024-09-10T00:00:00+08:00");

        Assert.Equal(2, run.Subjects.Count);
        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
        var second = run.AssertSubject("op2", Outcome.FollowUpOpen);
        Assert.Equal("fracture", second.Cohort);
        Assert.Equal(2, run.Log(Decision.Index, Clause.OutcomeAsOf).Count);
    }

    [Fact]
    public void Subjects_ReturnOfTheSecondIndex_IsNotACandidateOfTheFirst()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("op2", p => p.SpineFusion("2024-09-01T09:00:00+08:00"))
            .Return("ret", "2024-09-05T10:00:00+08:00")
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        run.AssertSubject("op2", Outcome.UnplannedReturn, "ret");
    }

    [Fact]
    public void Subjects_IndexLogEntry_NamesTheIndexAndItsProcedures()
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Procedure("x-device", p => p.At("2024-03-01T10:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Evaluate();

        var entry = run.SingleLog(Decision.Index, Clause.OutcomeAsOf, "Procedure/op1");
        Assert.Equal("Procedure/op1", entry.Index);
        Assert.Equal(["Procedure/op1", "Procedure/x-device"], entry.Evidence);
    }
}
