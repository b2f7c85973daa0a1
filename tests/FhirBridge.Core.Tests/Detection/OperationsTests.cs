using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Operations": how one patient's Procedures are grouped into operations before anything else.</summary>
public class OperationsTests
{
    [Fact]
    public void PartOf_ProcedurePartOfTheIndexOnTheNextDay_JoinsTheIndexOperation()
    {
        // Without partOf it would be a spine operation in theatre on day 1: a candidate return.
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Procedure("child", p => p.At("2024-03-02T10:00:00+08:00").Icd9(Codes.Discectomy).InTheatre().ByOrthopaedics().PartOf("op1"))
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.NoReturn);
        RuleRun.AssertProcedures(subject.Index, "op1", "child");
        Assert.Empty(subject.Candidates);
    }

    [Fact]
    public void PartOf_AdjunctPartOfAnOperationOnAnotherDay_FollowsPartOf()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("adj", p => p.At("2024-03-02T10:00:00+08:00").Icd9(Codes.InterbodyDevice).PartOf("op1"))
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "adj");
        Assert.Empty(run.Log(Decision.Excluded, Clause.Adjunct));
    }

    [Fact]
    public void Adjunct_LaterTheSameLocalDay_JoinsTheOperation()
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T10:00:00+08:00")
            .Procedure("adj", p => p.At("2024-03-01T20:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "adj");
        Assert.Empty(run.SingleSubject.Candidates);
    }

    [Fact]
    public void Adjunct_AtTheSameInstantAsTheOperation_JoinsIt()
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T10:00:00+08:00")
            .Procedure("x-adj", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.InterbodyDevice))
            .Evaluate();

        Assert.Equal("op1", run.SingleSubject.Index.Key.Id);
        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "x-adj");
    }

    [Fact]
    public void Principal_AdjunctAtTheSameInstantWithLowerId_IsNeverThePrincipal()
    {
        // An add-on code is "never an operation of its own", so it never speaks for one: the principal is the earliest
        // Procedure that is not an add-on, even when the add-on's id sorts first (FhirBridge's reading; docs/rule.md).
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T10:00:00+08:00")
            .Procedure("adj", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.InterbodyDevice))
            .Evaluate();

        Assert.Empty(run.Refused);
        Assert.Equal("op1", run.SingleSubject.Index.Principal.Ref.Key.Id);
        Assert.Equal(["op1", "adj"], run.SingleSubject.Index.Procedures.Select(p => p.Ref.Key.Id));
    }

    [Fact]
    public void Adjunct_TwoOperationsThatDay_JoinsTheLatestOneStartedAtOrBeforeIt()
    {
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01T08:00:00+08:00", end: "2024-03-01T09:00:00+08:00")
            .Return("ret", "2024-03-01T14:00:00+08:00", p => p.Ended("2024-03-01T15:00:00+08:00"))
            .Procedure("adj", p => p.At("2024-03-01T16:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1");
        RuleRun.AssertProcedures(run.AssertCounted("op1", "ret").Candidate, "ret", "adj");
    }

    [Fact]
    public void Adjunct_NoOperationEarlierThatDay_IsIgnoredWithLogEntry()
    {
        var run = new TimelineBuilder()
            .Procedure("adj", p => p.At("2024-03-01T07:00:00+08:00").Icd9(Codes.InterbodyDevice).InTheatre().ByOrthopaedics())
            .SpineIndex()
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1");
        Assert.Equal("adjunct-without-operation", run.SingleLog(Decision.Excluded, Clause.Adjunct, "Procedure/adj").Reason);
    }

    [Fact]
    public void Adjunct_OnTheNextDayAlone_IsIgnoredWithLogEntry()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("adj", p => p.At("2024-03-02T09:00:00+08:00").Icd9(Codes.InterbodyDevice).InTheatre().ByOrthopaedics())
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1");
        Assert.Empty(run.SingleSubject.Candidates);
        Assert.Single(run.Log(Decision.Excluded, Clause.Adjunct, "Procedure/adj"));
    }

    [Fact]
    public void Adjunct_WrittenInUtcPastLocalMidnight_IsNotTheSameLocalDay()
    {
        // 2024-03-01T16:30:00Z is 00:30 on 2 March in Shanghai: the 21:00 operation of 1 March is on another local day.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01T21:00:00+08:00", end: "2024-03-01T23:00:00+08:00")
            .Procedure("adj", p => p.At("2024-03-01T16:30:00Z").Icd9(Codes.InterbodyDevice))
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1");
        Assert.Single(run.Log(Decision.Excluded, Clause.Adjunct, "Procedure/adj"));
    }

    [Fact]
    public void SameInstant_TwoProceduresInDifferentEncounters_AreOneOperation()
    {
        var run = new TimelineBuilder()
            .Procedure("b", p => p.SpineFusion(TimelineBuilder.IndexStart).InEncounter("e1"))
            .Procedure("a", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.Discectomy).ByOrthopaedics().InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        var subject = Assert.Single(run.Subjects);
        Assert.Equal("a", subject.Index.Key.Id);
        RuleRun.AssertProcedures(subject.Index, "a", "b");
    }

    [Fact]
    public void SameInstant_SameInstantAsALaterMemberOfTheOperation_JoinsIt()
    {
        // op1 09:00 (no end) and "second" 10:00 are one operation by the session rule (same encounter e1);
        // "third" starts at the same instant as "second" (another encounter): the spec makes them one operation.
        var run = new TimelineBuilder()
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Procedure("second", p => p.At("2024-03-01T10:00:00+08:00").Icd9(Codes.Discectomy).InEncounter("e1"))
            .Return("third", "2024-03-01T10:00:00+08:00", p => p.InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "second", "third");
        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Adjunct_NoZoneConfigured_SameLocalDayAtTheOperationsOffset()
    {
        // At +08:00 both are on 1 March (07:00 and 09:00); in UTC the operation is on 29 February and the adjunct on 1 March.
        var run = new TimelineBuilder()
            .Procedure("consult", p => p.At("2024-01-01T00:00:00Z").Icd9(Codes.UnmappedProcedure))
            .SpineIndex(start: "2024-03-01T07:00:00+08:00", end: "2024-03-01T08:00:00+08:00")
            .Procedure("x-adj", p => p.At("2024-03-01T09:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Evaluate(zone: null);

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "x-adj");
        Assert.Empty(run.Log(Decision.Excluded, Clause.Adjunct));
    }

    [Fact]
    public void Adjunct_NoZoneConfigured_SameOffsetThroughout_JoinsTheOperation()
    {
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01T07:00:00+08:00", end: "2024-03-01T08:00:00+08:00")
            .Procedure("x-adj", p => p.At("2024-03-01T09:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Evaluate(zone: null);

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "x-adj");
    }

    [Theory]
    [InlineData("2024-03-01T12:59:00+08:00", true)]
    [InlineData("2024-03-01T13:00:00+08:00", true)] // the end is inside the period
    [InlineData("2024-03-01T05:00:00Z", true)] // 13:00 Shanghai, written in UTC
    [InlineData("2024-03-01T13:01:00+08:00", false)]
    public void WithinPeriod_ProcedureStartingInsideTheFirstOnesPerformedPeriod_JoinsIt(string start, bool joins)
    {
        // Different encounters: only the period can join them (the session rule applies only when the first records no end).
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T13:00:00+08:00", more: p => p.InEncounter("e1"))
            .Return("second", start, p => p.InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        if (joins)
        {
            RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "second");
        }
        else
        {
            Assert.Equal(0, run.AssertCounted("op1", "second").DaysAfterIndex);
        }
    }

    [Theory]
    [InlineData("2024-03-01T23:00:00+08:00", true)] // an end written as a date includes that whole date (FHIR Period)
    [InlineData("2024-03-02T00:00:00+08:00", true)]
    [InlineData("2024-03-02T00:01:00+08:00", false)]
    public void WithinPeriod_EndWrittenAsADate_IncludesThatWholeDate(string start, bool joins)
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01", more: p => p.InEncounter("e1"))
            .Return("second", start, p => p.InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        if (joins)
        {
            RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "second");
        }
        else
        {
            Assert.Equal(1, run.AssertCounted("op1", "second").DaysAfterIndex);
        }
    }

    [Fact]
    public void Adjunct_CodeThatIsAlsoASpineOperation_IsAnOperationOfItsOwn()
    {
        // A Procedure coded both 84.51 (add-on) and 55705006 Spinal fusion is a spine operation, not an add-on.
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.InterbodyDevice).Snomed("55705006").InTheatre().ByOrthopaedics())
            .Evaluate();

        Assert.Equal("op1", run.SingleSubject.Index.Principal.Ref.Key.Id);
        Assert.Empty(run.Log(Decision.Excluded, Clause.Adjunct));
    }

    [Theory]
    [InlineData("a-fusion", "b-child", "2024-03-01T12:08:00+08:00", true)]
    [InlineData("b-fusion", "a-child", "2024-03-01T12:08:00+08:00", true)] // the same, whichever id sorts first
    [InlineData("a-fusion", "b-child", "2024-03-01T13:00:00+08:00", true)] // the fusion's end
    [InlineData("b-fusion", "a-child", "2024-03-01T13:01:00+08:00", false)]
    public void WithinPeriod_SeveralProceduresStartFirst_ThePeriodOfAnyOfThemCounts_WhateverTheirIds(string fusion, string child, string start, bool joins) =>
        // The decompression is 3 h 8 min or more after the start: past the session hours, so only the fusion's period
        // (to 13:00) can join it. Which id sorts first (the principal's tie-break) must not decide the grouping.
        AssertFusionChildAndLater(fusion, child, fusionEnd: "2024-03-01T13:00:00+08:00", start, joins);

    [Theory]
    [InlineData("a-fusion", "b-child", "2024-03-01T12:00:00+08:00", true)] // 3 h after the child, which records no end
    [InlineData("b-fusion", "a-child", "2024-03-01T12:00:00+08:00", true)]
    [InlineData("a-fusion", "b-child", "2024-03-01T12:01:00+08:00", false)] // past both the fusion's period and the session
    public void Session_AFirstOneWithoutAnEnd_JoinsBySessionBesideAFirstOneWithAPeriod(string fusion, string child, string start, bool joins) =>
        // The fusion's period ends at 09:30; the child, at the same start, records no end, so the session rule reads it.
        AssertFusionChildAndLater(fusion, child, fusionEnd: "2024-03-01T09:30:00+08:00", start, joins);

    // A fusion with a performedPeriod, a partOf child recorded at its very start with no end (both start first), and a
    // decompression in the same encounter at the given start: one operation of the three, or "later" on its own.
    private static void AssertFusionChildAndLater(string fusion, string child, string fusionEnd, string start, bool joins)
    {
        var run = new TimelineBuilder()
            .SpineIndex(fusion, end: fusionEnd, more: p => p.InEncounter("e1"))
            .Procedure(child, p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.Discectomy).InTheatre().ByOrthopaedics().PartOf(fusion).InEncounter("e1"))
            .Procedure("later", p => p.At(start).Icd9(Codes.Discectomy).InTheatre().ByOrthopaedics().InEncounter("e1"))
            .Encounter("e1")
            .Evaluate();

        if (joins)
        {
            RuleRun.AssertProcedures(run.SingleSubject.Index, fusion, child, "later");
        }
        else
        {
            RuleRun.AssertProcedures(run.Subjects[0].Index, fusion, child); // "later" is an operation of its own
        }
    }

    [Fact]
    public void WithinPeriod_FirstHasAnEnd_SessionRuleDoesNotApply()
    {
        // Same encounter, 1 h after the end and 4 h after the start: outside the period, so a separate operation.
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00", more: p => p.InEncounter("e1"))
            .Return("second", "2024-03-01T13:00:00+08:00", p => p.InEncounter("e1"))
            .Encounter("e1")
            .Evaluate();

        run.AssertCounted("op1", "second");
    }

    [Theory]
    [InlineData("2024-03-01T12:00:00+08:00", "e1", true)] // exactly 3 h, same encounter
    [InlineData("2024-03-01T12:01:00+08:00", "e1", false)] // 3 h 1 min
    [InlineData("2024-03-01T10:00:00+08:00", "e2", false)] // 1 h, another encounter
    public void Session_FirstRecordsNoEnd_SameEncounterWithinSessionHoursIsOneOperation(string start, string encounter, bool joins)
    {
        var run = new TimelineBuilder()
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("second", start, p => p.InEncounter(encounter))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        if (joins)
        {
            RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "second");
        }
        else
        {
            run.AssertCounted("op1", "second");
        }
    }

    [Fact]
    public void Session_BothWithoutEncounter_WithinSessionHoursIsOneOperation()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("second", "2024-03-01T11:00:00+08:00")
            .Evaluate();

        RuleRun.AssertProcedures(run.SingleSubject.Index, "op1", "second");
    }

    [Fact]
    public void Session_OneWithoutEncounter_IsAnotherOperation()
    {
        var run = new TimelineBuilder()
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("second", "2024-03-01T10:00:00+08:00")
            .Encounter("e1")
            .Evaluate();

        run.AssertCounted("op1", "second");
    }

    [Fact]
    public void Session_OperationSessionHoursSetting_IsUsed()
    {
        var run = new TimelineBuilder()
            .SpineIndex(more: p => p.InEncounter("e1"))
            .Return("second", "2024-03-01T11:00:00+08:00", p => p.InEncounter("e1"))
            .Encounter("e1")
            .Evaluate(study: new StudyDefinition { OperationSessionHours = 1 });

        run.AssertCounted("op1", "second");
    }

    [Fact]
    public void Principal_IsTheEarliestProcedure()
    {
        var run = new TimelineBuilder()
            .Procedure("a", p => p.At("2024-03-01T09:30:00+08:00").Icd9(Codes.Discectomy))
            .Procedure("z", p => p.SpineFusion("2024-03-01T09:00:00+08:00"))
            .Evaluate();

        Assert.Equal("z", run.SingleSubject.Index.Key.Id);
        RuleRun.AssertProcedures(run.SingleSubject.Index, "a", "z");
    }

    [Fact]
    public void Principal_TiesBrokenByIdOrdinal()
    {
        // Ordinal: "B" (0x42) sorts before "a" (0x61).
        var run = new TimelineBuilder()
            .Procedure("a", p => p.SpineFusion(TimelineBuilder.IndexStart))
            .Procedure("B", p => p.SpineFusion(TimelineBuilder.IndexStart))
            .Evaluate();

        Assert.Equal("B", run.SingleSubject.Index.Key.Id);
    }

    [Fact]
    public void Principal_NotCompletedEarliestProcedure_DecidesTheStatus()
    {
        // index.1 reads the principal's status: a completed later procedure in the same operation does not help.
        var run = new TimelineBuilder()
            .Procedure("a", p => p.SpineFusion("2024-03-01T09:00:00+08:00").InProgress())
            .Procedure("b", p => p.SpineFusion("2024-03-01T10:00:00+08:00"))
            .Evaluate();

        run.AssertNoIndex();
        Assert.Single(run.Log(Decision.Excluded, Clause.IndexCompleted, "Procedure/a"));
    }

    [Theory]
    [InlineData("2024-03-01T13:00:00+08:00", false)] // before the operation's end (14:00, recorded on its second Procedure)
    [InlineData("2024-03-01T14:01:00+08:00", true)]
    public void OperationEnd_IsTheLatestRecordedEnd(string returnStart, bool candidate)
    {
        var run = new TimelineBuilder()
            .Procedure("a", p => p.SpineFusion(TimelineBuilder.IndexStart).InEncounter("e1"))
            .Procedure("b", p => p.At(TimelineBuilder.IndexStart).Ended("2024-03-01T14:00:00+08:00").Icd9(Codes.Discectomy).InEncounter("e1"))
            .Return("ret", returnStart, p => p.InEncounter("e2"))
            .Encounter("e1")
            .Encounter("e2")
            .Evaluate();

        Assert.Equal("a", run.SingleSubject.Index.Key.Id);
        if (candidate)
        {
            run.AssertCounted("a", "ret");
        }
        else
        {
            run.AssertNotACandidate("a", "ret");
        }
    }

    [Fact]
    public void Operations_FusionRecordedAsThreeCodes_IsOneOperation()
    {
        var run = new TimelineBuilder()
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Procedure("device", p => p.At("2024-03-01T10:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Procedure("disc", p => p.At("2024-03-01T10:30:00+08:00").Icd9(Codes.Discectomy))
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.NoReturn);
        RuleRun.AssertProcedures(subject.Index, "op1", "device", "disc");
        Assert.Empty(subject.Candidates);
    }
}
