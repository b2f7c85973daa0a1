using FhirBridge.Detection;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Candidate returns and the window": status, after the index's end, daysAfterIndex, the anchor and SameAdmissionOnly.</summary>
public class WindowTests
{
    [Fact]
    public void WindowDays_ReturnLaterTheSameDay_IsDay0AndCounts()
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Return("ret", "2024-03-01T20:00:00+08:00")
            .Evaluate();

        Assert.Equal(0, run.AssertCounted("op1", "ret").DaysAfterIndex);
    }

    [Fact]
    public void WindowDays_ReturnOnDay30_Counts()
    {
        var run = new TimelineBuilder().SpineIndex().Return("ret", "2024-03-31T23:59:59+08:00").Evaluate();

        Assert.Equal(30, run.AssertCounted("op1", "ret").DaysAfterIndex);
        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
    }

    [Fact]
    public void WindowDays_ReturnOnDay31_IsNotACandidate()
    {
        var run = new TimelineBuilder().SpineIndex().Return("ret", "2024-04-01T00:00:00+08:00").Evaluate();

        run.AssertNotACandidate("op1", "ret");
        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Theory]
    [InlineData(7, "2024-03-08T10:00:00+08:00", true)]
    [InlineData(7, "2024-03-09T10:00:00+08:00", false)]
    [InlineData(0, "2024-03-01T20:00:00+08:00", true)]
    [InlineData(0, "2024-03-02T08:00:00+08:00", false)]
    public void WindowDays_Setting_BoundsTheWindowInclusively(int windowDays, string returnStart, bool candidate)
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Return("ret", returnStart)
            .Evaluate(study: new StudyDefinition { WindowDays = windowDays });

        Assert.Equal(candidate ? 1 : 0, run.SingleSubject.Candidates.Count);
    }

    [Fact]
    public void WindowDays_CalendarDaysNotElapsedHours_Day1AfterFewHours()
    {
        // 23:30 to 01:00 the next day is 90 minutes but day 1.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01T22:00:00+08:00", end: "2024-03-01T23:30:00+08:00")
            .Return("ret", "2024-03-02T01:00:00+08:00")
            .Evaluate();

        Assert.Equal(1, run.AssertCounted("op1", "ret").DaysAfterIndex);
    }

    [Fact]
    public void AfterIndexEnd_ReturnStartingBeforeTheIndexEnds_IsNotACandidate()
    {
        // The index ends at 14:00 (its second Procedure's end); "ret" is in another encounter, so a separate operation at 13:00.
        var run = new TimelineBuilder()
            .Procedure("a", p => p.SpineFusion(TimelineBuilder.IndexStart).InEncounter("e1"))
            .Procedure("b", p => p.At(TimelineBuilder.IndexStart).Ended("2024-03-01T14:00:00+08:00").Icd9(Codes.Discectomy).InEncounter("e1"))
            .Return("ret", "2024-03-01T13:00:00+08:00", p => p.InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        run.AssertNotACandidate("a", "ret");
    }

    [Fact]
    public void AfterIndexEnd_NoRecordedEnd_EndIsTheStart()
    {
        // No end recorded: the index ends when it starts, so a separate operation 30 minutes later is a candidate.
        var run = new TimelineBuilder()
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("ret", "2024-03-01T09:30:00+08:00", p => p.InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        Assert.Equal(0, run.AssertCounted("op1", "ret").DaysAfterIndex);
    }

    [Fact]
    public void Anchor_SecondReturnOnDay31_DoesNotCountThoughWithin30DaysOfTheFirst()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("first", "2024-03-20T10:00:00+08:00")
            .Return("second", "2024-04-01T10:00:00+08:00")
            .Evaluate();

        run.AssertSubject("op1", Outcome.UnplannedReturn, "first");
        run.AssertNotACandidate("op1", "second");
    }

    [Fact]
    public void Anchor_TwoReturnsInsideTheWindow_BothCount()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("first", "2024-03-05T10:00:00+08:00")
            .Return("second", "2024-03-25T10:00:00+08:00")
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.UnplannedReturn, "first", "second");
        Assert.Equal(["first", "second"], subject.Candidates.Select(c => c.Procedure.Id));
    }

    [Theory]
    [InlineData("completed", true)]
    [InlineData("stopped", true)] // an aborted return still went back to theatre
    [InlineData("in-progress", false)]
    [InlineData("on-hold", false)]
    [InlineData("preparation", false)]
    [InlineData("unknown", false)]
    public void CandidateStatus_OnlyCompletedOrStoppedPrincipal_IsACandidate(string status, bool candidate)
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-10T10:00:00+08:00", p => p.Status(status))
            .Evaluate();

        if (candidate)
        {
            run.AssertCounted("op1", "ret");
        }
        else
        {
            run.AssertNotACandidate("op1", "ret");
        }
    }

    [Fact]
    public void CandidateStatus_StoppedReturn_CountsAsUnplannedReturn()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-10T10:00:00+08:00", p => p.Stopped())
            .Evaluate();

        run.AssertSubject("op1", Outcome.UnplannedReturn, "ret");
    }

    [Theory]
    [InlineData(true, "e2", false)]
    [InlineData(true, "e1", true)]
    [InlineData(false, "e2", true)]
    public void SameAdmission_Setting_RestrictsCandidatesToTheIndexEncounter(bool sameAdmissionOnly, string returnEncounter, bool candidate)
    {
        var run = new TimelineBuilder()
            .Encounter("e1")
            .Encounter("e2")
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("ret", "2024-03-20T10:00:00+08:00", p => p.InEncounter(returnEncounter))
            .Evaluate(study: new StudyDefinition { SameAdmissionOnly = sameAdmissionOnly });

        if (candidate)
        {
            run.AssertCounted("op1", "ret");
        }
        else
        {
            run.AssertNotACandidate("op1", "ret");
            run.AssertSubject("op1", Outcome.NoReturn);
        }
    }

    [Fact]
    public void SameAdmission_ReturnWithoutEncounter_IsNotInTheIndexEncounter()
    {
        var run = new TimelineBuilder()
            .Encounter("e1")
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("ret", "2024-03-20T10:00:00+08:00")
            .Evaluate(study: new StudyDefinition { SameAdmissionOnly = true });

        run.AssertNotACandidate("op1", "ret");
    }
}
