using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Index operation": criteria 1-7 and the order of the reported refusal reasons.</summary>
public class IndexOperationTests
{
    [Fact]
    public void IndexOperation_AllCriteriaHold_IsOneSubject()
    {
        var run = new TimelineBuilder().SpineIndex().Evaluate();

        var subject = run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Equal(new Timeline.ResourceKey("Patient", "p1"), subject.Patient);
        Assert.Single(run.Log(Decision.Index, Clause.OutcomeAsOf, "Procedure/op1"));
    }

    [Theory]
    [InlineData("in-progress")]
    [InlineData("stopped")]
    [InlineData("on-hold")]
    [InlineData("unknown")]
    [InlineData("preparation")]
    public void Index1Completed_PrincipalNotCompleted_IsNoIndexAndNotReported(string status)
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.Status(status)).Evaluate();

        run.AssertNoIndex();
        Assert.Equal("not-completed", run.SingleLog(Decision.Excluded, Clause.IndexCompleted, "Procedure/op1").Reason);
    }

    [Fact]
    public void Index2SpineOperation_NoSpineCode_IsNoIndexAndNotReported()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertNoIndex();
    }

    [Fact]
    public void Index2SpineOperation_SpineCodeOnANonPrincipalProcedure_IsEnough()
    {
        var run = new TimelineBuilder()
            .Procedure("a", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.ExcisionalDebridement).InTheatre().ByOrthopaedics())
            .Procedure("b", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion))
            .Evaluate();

        Assert.Equal("a", run.SingleSubject.Index.Key.Id);
    }

    [Fact]
    public void Index3InTheatre_OnTheWard_IsRefusedNotInTheatre()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).OnWard().ByOrthopaedics())
            .Evaluate();

        run.AssertRefused("op1", Reason.NotInTheatre);
        Assert.Equal(Reason.NotInTheatre, run.SingleLog(Decision.Excluded, Clause.IndexInTheatre, "Procedure/op1").Reason);
    }

    [Fact]
    public void Index4Orthopaedics_OtherDepartment_IsRefusedOtherDepartment()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).InTheatre().ByNeurosurgery())
            .Evaluate();

        run.AssertRefused("op1", Reason.OtherDepartment);
        Assert.Single(run.Log(Decision.Excluded, Clause.IndexOrthopaedics, "Procedure/op1"));
    }

    [Theory]
    [InlineData("2006-03-02", false)] // 17: the 18th birthday is the day after the index
    [InlineData("2006-03-01", true)] // 18th birthday on the index date
    [InlineData("2005-06-15", true)] // 18
    [InlineData("1944-03-01", true)] // 80th birthday on the index date
    [InlineData("1943-03-02", true)] // 80: the 81st birthday is the day after the index
    [InlineData("1943-03-01", false)] // 81st birthday on the index date
    [InlineData("1930-01-01", false)] // 94
    public void Index5Age_CompletedYearsOnTheIndexDate_Within18To80(string birthDate, bool eligible)
    {
        var run = new TimelineBuilder().Born(birthDate).SpineIndex().Evaluate();

        if (eligible)
        {
            run.AssertSubject("op1", Outcome.NoReturn);
        }
        else
        {
            run.AssertRefused("op1", Reason.AgeOutOfRange);
            Assert.Single(run.Log(Decision.Excluded, Clause.IndexAge, "Procedure/op1"));
        }
    }

    [Fact]
    public void Index5Age_BornOn29February_Is18OnThe28thInANonLeapYear()
    {
        // NodaTime's completed-years arithmetic: a 29 February birthday is reached on 28 February in a common year.
        var run = new TimelineBuilder().Born("2004-02-29").SpineIndex(start: "2022-02-28T09:00:00+08:00").Evaluate();

        Assert.Single(run.Subjects);
    }

    [Theory]
    [InlineData(16, 17, true)]
    [InlineData(18, 18, false)]
    public void Index5Age_MinAgeAndMaxAgeSettings_AreUsed(int minAge, int maxAge, bool eligible)
    {
        // Born 2006-06-01: 17 on the index date.
        var run = new TimelineBuilder().Born("2006-06-01").SpineIndex().Evaluate(study: new StudyDefinition { MinAge = minAge, MaxAge = maxAge });

        Assert.Equal(eligible ? 1 : 0, run.Subjects.Count);
    }

    [Fact]
    public void Index5Age_PatientMissing_IsRefusedAgeOutOfRangeAndLoggedMissing()
    {
        var run = new TimelineBuilder().WithoutPatientResource().SpineIndex().Evaluate();

        run.AssertRefused("op1", Reason.AgeOutOfRange);
        Assert.Single(run.Log(Decision.Missing, Clause.IndexAge, "Procedure/op1"));
    }

    [Fact]
    public void Index5Age_YearOnlyBirthDate_IsPlacedMidYearAndLoggedAssumed()
    {
        // Born "2006" is placed on 1 July 2006: 17 on 1 March 2024.
        var run = new TimelineBuilder().Born("2006").SpineIndex().Evaluate();

        run.AssertRefused("op1", Reason.AgeOutOfRange);
        Assert.Single(run.Log(Decision.Assumed, Clause.IndexAge, "Patient/p1"));
    }

    [Fact]
    public void Index6NotAReturn_CountedSpineReturn_NeverBecomesAnIndex()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("revision", p => p.SpineFusion("2024-03-10T09:00:00+08:00").Reason(Codes.WoundInfection))
            .Evaluate();

        var subject = run.AssertSubject("op1", Outcome.UnplannedReturn, "revision");
        Assert.Same(subject, Assert.Single(run.Subjects));
    }

    [Fact]
    public void Index6NotAReturn_ExcludedSpineReturn_NeverBecomesAnIndex()
    {
        // Planned (CarePlan), so excluded as a return; otherwise an eligible index operation, yet no second subject.
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("stage2", p => p.SpineFusion("2024-03-10T09:00:00+08:00").BasedOnCarePlan("cp1"))
            .Evaluate();

        run.AssertExcluded("op1", "stage2", Reason.Planned);
        Assert.Single(run.Subjects);
    }

    [Fact]
    public void Index6NotAReturn_SpineOperationAfterTheWindow_IsANewIndex()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("op2", p => p.SpineFusion("2024-04-01T09:00:00+08:00"))
            .Evaluate();

        Assert.Equal(2, run.Subjects.Count);
        run.AssertNotACandidate("op1", "op2");
    }

    [Theory]
    [InlineData("2024-03-01", "2024-03-31", true)] // start inclusive
    [InlineData("2024-02-01", "2024-03-01", true)] // end inclusive
    [InlineData("2024-03-02", null, false)]
    [InlineData(null, "2024-02-29", false)]
    [InlineData(null, null, true)]
    public void Index7StudyPeriod_IndexLocalDateWithinInclusivePeriod(string? first, string? last, bool eligible)
    {
        var study = new StudyDefinition
        {
            StudyPeriodStart = first is null ? null : Time.Date(first),
            StudyPeriodEnd = last is null ? null : Time.Date(last),
        };

        var run = new TimelineBuilder().SpineIndex().Evaluate(study: study);

        Assert.Equal(eligible ? 1 : 0, run.Subjects.Count);
        Assert.Empty(run.Refused);
        Assert.Equal(eligible ? 0 : 1, run.Log(Decision.Excluded, Clause.IndexStudyPeriod).Count);
    }

    [Fact]
    public void Index7StudyPeriod_UtcStartOnThePreviousDay_IsJudgedOnTheLocalDate()
    {
        // 2024-02-29T16:30:00Z is 00:30 on 1 March in Shanghai: inside a period starting 1 March.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-02-29T16:30:00Z")
            .Evaluate(study: new StudyDefinition { StudyPeriodStart = Time.Date("2024-03-01") });

        Assert.Single(run.Subjects);
    }

    [Fact]
    public void Index7StudyPeriod_OutsideAndOnTheWard_IsNotReportedAsRefused()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).OnWard().ByNeurosurgery())
            .Evaluate(study: new StudyDefinition { StudyPeriodStart = Time.Date("2024-04-01") });

        run.AssertNoIndex();
    }

    [Fact]
    public void RefusalOrder_WardOtherDepartmentAndTooOld_ReportsNotInTheatre()
    {
        var run = new TimelineBuilder()
            .Born("1930-01-01")
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).OnWard().ByNeurosurgery())
            .Evaluate();

        run.AssertRefused("op1", Reason.NotInTheatre);
    }

    [Fact]
    public void RefusalOrder_OtherDepartmentAndTooOld_ReportsOtherDepartment()
    {
        var run = new TimelineBuilder()
            .Born("1930-01-01")
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).InTheatre().ByNeurosurgery())
            .Evaluate();

        run.AssertRefused("op1", Reason.OtherDepartment);
    }

    [Fact]
    public void RefusalOrder_OnlyTooOld_ReportsAgeOutOfRange()
    {
        var run = new TimelineBuilder().Born("1930-01-01").SpineIndex().Evaluate();

        run.AssertRefused("op1", Reason.AgeOutOfRange);
    }

    [Fact]
    public void RefusedIndex_NamesThePrincipalAndKeepsEveryProcedure()
    {
        var run = new TimelineBuilder()
            .Born("1930-01-01")
            .SpineIndex(end: "2024-03-01T12:00:00+08:00")
            .Procedure("x-device", p => p.At("2024-03-01T10:00:00+08:00").Icd9(Codes.InterbodyDevice))
            .Evaluate();

        run.AssertRefused("op1", Reason.AgeOutOfRange);
        RuleRun.AssertProcedures(run.Refused[0].Operation, "op1", "x-device");
    }
}
