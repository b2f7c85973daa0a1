using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Setting (theatre or ward)": the first rule that applies wins, judged here on a candidate return.</summary>
public class SettingTests
{
    private const string ReturnStart = "2024-03-10T10:00:00+08:00";
    private const string LocalProcedures = "http://hospital.example/proc";

    [Fact]
    public void Setting1OwnLocation_Theatre_IsInTheatreWithoutAssumption()
    {
        var run = Judge(p => p.Code(LocalProcedures, "LOCAL-1").InTheatre());

        run.AssertCounted("op1", "ret");
        Assert.Empty(run.Log(Decision.Assumed, Clause.SettingCodes, "Procedure/ret"));
    }

    [Fact]
    public void Setting1OwnLocation_Ward_IsNotInTheatreEvenWithASpineCode()
    {
        var run = Judge(p => p.Icd9(Codes.Discectomy).OnWard());

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        Assert.Equal(["Location/ward"], run.SingleLog(Decision.Excluded, Clause.VerdictInTheatre, "Procedure/ret").Evidence);
    }

    [Fact]
    public void Setting1OwnLocation_TheatreOnAnyProcedure_WinsOverWardOnAnother()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).OnWard().ByOrthopaedics())
            .Procedure("ret2", p => p.At(ReturnStart).Icd9(Codes.ExcisionalDebridement).InTheatre())
            .Evaluate();

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void Setting1OwnLocation_WardLocationOverridesTheatreEncounterLocation()
    {
        var run = Judge(
            p => p.Icd9(Codes.ExcisionalDebridement).OnWard().InEncounter("e1"),
            e => e.InTheatre("2024-03-10T09:00:00+08:00", "2024-03-10T12:00:00+08:00"));

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
    }

    [Fact]
    public void Setting1OwnLocation_MissingLocation_IsLoggedAndTheNextRuleDecides()
    {
        var run = Judge(p => p.Code(LocalProcedures, "LOCAL-1").AtLocation("gone"));

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        Assert.Equal(["Location/gone"], run.SingleLog(Decision.Missing, Clause.SettingOwnLocation, "Procedure/ret").Evidence);
    }

    [Theory]
    [InlineData("2024-03-10T09:00:00+08:00", "2024-03-10T12:00:00+08:00", true)]
    [InlineData("2024-03-10T10:00:00+08:00", "2024-03-10T12:00:00+08:00", true)] // the period starts at the procedure's start
    [InlineData("2024-03-10T09:00:00+08:00", "2024-03-10T10:00:00+08:00", true)] // and ends at it
    [InlineData("2024-03-10T09:00:00+08:00", null, true)] // open-ended
    [InlineData("2024-03-10T01:00:00Z", "2024-03-10T04:00:00Z", true)] // 09:00-12:00 Shanghai written in UTC
    [InlineData("2024-03-10T10:01:00+08:00", "2024-03-10T12:00:00+08:00", false)]
    [InlineData("2024-03-10T07:00:00+08:00", "2024-03-10T09:59:00+08:00", false)]
    public void Setting2EncounterLocation_TheatreCoveringTheStart_ConfirmsTheatre(string from, string? to, bool inTheatre)
    {
        var run = Judge(p => p.Code(LocalProcedures, "LOCAL-1").InEncounter("e1"), e => e.OnWard().InTheatre(from, to));

        if (inTheatre)
        {
            run.AssertCounted("op1", "ret");
            Assert.Empty(run.Log(Decision.Assumed, Clause.SettingCodes, "Procedure/ret"));
        }
        else
        {
            run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        }
    }

    [Fact]
    public void Setting2EncounterLocation_WardForTheStart_NeverMakesItAWardOperation()
    {
        // The encounter's ward spans the stay; the spine code then puts the operation in theatre (rule 3).
        var run = Judge(
            p => p.Icd9(Codes.Discectomy).InEncounter("e1"),
            e => e.OnWard("2024-03-08T10:00:00+08:00", "2024-03-20T10:00:00+08:00"));

        run.AssertCounted("op1", "ret");
        Assert.Single(run.Log(Decision.Assumed, Clause.SettingCodes, "Procedure/ret"));
    }

    [Fact]
    public void Setting2EncounterLocation_ReadFromThePrincipalsEncounter()
    {
        // The second Procedure's encounter lists the theatre; the principal's does not.
        var run = new TimelineBuilder()
            .Encounter("e1")
            .Encounter("e2", e => e.InTheatre("2024-03-10T09:00:00+08:00", "2024-03-10T12:00:00+08:00"))
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Code(LocalProcedures, "LOCAL-1").ByOrthopaedics().InEncounter("e1"))
            .Procedure("ret2", p => p.At(ReturnStart).Code(LocalProcedures, "LOCAL-2").InEncounter("e2"))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
    }

    [Fact]
    public void Setting3Codes_BedsideCode_PutsItOnTheWard()
    {
        var run = Judge(p => p.Icd9(Codes.BedsideDebridement));

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        Assert.Contains(Codes.Icd9Cm + "|" + Codes.BedsideDebridement, run.SingleLog(Decision.Excluded, Clause.VerdictInTheatre, "Procedure/ret").Codes);
    }

    [Fact]
    public void Setting3Codes_BedsideCodeBeforeSpineCode_PutsTheOperationOnTheWard()
    {
        // Rule 3 lists the bedside code first: an operation with both, and no location, is on the ward.
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Icd9(Codes.Discectomy).ByOrthopaedics())
            .Procedure("ret2", p => p.At(ReturnStart).Icd9(Codes.BedsideDebridement))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
    }

    [Fact]
    public void Setting3Codes_SpineCode_TheatreAssumedWithLogEntry()
    {
        var run = Judge(p => p.Icd9(Codes.Discectomy));

        run.AssertCounted("op1", "ret");
        var entry = run.SingleLog(Decision.Assumed, Clause.SettingCodes, "Procedure/ret");
        Assert.Equal("Procedure/op1", entry.Index);
    }

    [Fact]
    public void Setting3Codes_TheatreProcedureCode_TheatreAssumedWithLogEntry()
    {
        var run = Judge(p => p.Icd9(Codes.ExcisionalDebridement));

        run.AssertCounted("op1", "ret");
        Assert.Single(run.Log(Decision.Assumed, Clause.SettingCodes, "Procedure/ret"));
    }

    [Fact]
    public void Setting3Codes_SurgicalProcedureCategory_TheatreAssumed()
    {
        var run = Judge(p => p.Code(LocalProcedures, "LOCAL-1").SurgicalCategory());

        run.AssertCounted("op1", "ret");
        Assert.Single(run.Log(Decision.Assumed, Clause.SettingCodes, "Procedure/ret"));
    }

    [Fact]
    public void Setting3Codes_NothingRecorded_IsNotInTheatre()
    {
        var run = Judge(p => p.Code(LocalProcedures, "LOCAL-1"));

        run.AssertExcluded("op1", "ret", Reason.NotInTheatre);
        Assert.Empty(run.Log(Decision.Assumed, Clause.SettingCodes, "Procedure/ret"));
    }

    [Fact]
    public void Setting3Codes_IndexWithSpineCodeAndNoLocation_TheatreAssumedWithLogEntry()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).ByOrthopaedics())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        var entry = run.SingleLog(Decision.Assumed, Clause.SettingCodes, "Procedure/op1");
        Assert.Null(entry.Index);
    }

    private static RuleRun Judge(Action<ProcedureBuilder> candidate, Action<EncounterBuilder>? encounter = null)
    {
        var timeline = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p =>
            {
                p.At(ReturnStart).ByOrthopaedics().Reason(Codes.WoundInfection);
                candidate(p);
            });
        if (encounter is not null)
        {
            timeline.Encounter("e1", encounter);
        }

        return timeline.Evaluate();
    }
}
