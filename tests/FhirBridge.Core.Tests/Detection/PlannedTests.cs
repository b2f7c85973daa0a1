using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Detection;

/// <summary>Spec, "Planned": a prior order, an order with intent plan, a CarePlan, or a staged code makes a candidate planned.</summary>
public class PlannedTests
{
    private const string ReturnStart = "2024-03-10T10:00:00+08:00";

    [Theory]
    [InlineData("2024-03-01T09:00:00+08:00", true)] // at the index's start instant
    [InlineData("2024-03-01T01:00:00Z", true)] // the same instant written in UTC
    [InlineData("2024-02-20T09:00:00+08:00", true)]
    [InlineData("2024-03-01T09:00:01+08:00", false)] // one second after
    [InlineData("2024-03-01T01:00:01Z", false)]
    [InlineData("2024-03-01", true)] // date-only: 00:00 local on the index date, before its 09:00 start
    [InlineData("2024-03-02", false)]
    public void PlannedAuthoredBeforeIndex_ServiceRequestAuthoredAtOrBeforeTheIndexStart_IsPlanned(string authoredOn, bool planned)
    {
        var run = new TimelineBuilder()
            .ServiceRequest("sr1", authoredOn)
            .SpineIndex()
            .Return("ret", ReturnStart, p => p.BasedOnServiceRequest("sr1"))
            .Evaluate();

        if (planned)
        {
            run.AssertExcluded("op1", "ret", Reason.Planned);
            Assert.Equal(["ServiceRequest/sr1"], run.SingleLog(Decision.Excluded, Clause.VerdictNotPlanned, "Procedure/ret").Evidence);
        }
        else
        {
            run.AssertCounted("op1", "ret");
        }
    }

    [Fact]
    public void PlannedAuthoredBeforeIndex_NoAuthoredOn_IsNotPlanned()
    {
        var run = new TimelineBuilder()
            .ServiceRequest("sr1", authoredOn: null)
            .SpineIndex()
            .Return("ret", ReturnStart, p => p.BasedOnServiceRequest("sr1"))
            .Evaluate();

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void PlannedIntentPlan_ServiceRequestAuthoredAfterTheIndex_IsPlanned()
    {
        var run = new TimelineBuilder()
            .ServiceRequest("sr1", "2024-03-05T10:00:00+08:00", intent: "plan")
            .SpineIndex()
            .Return("ret", ReturnStart, p => p.BasedOnServiceRequest("sr1"))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.Planned);
    }

    [Theory]
    [InlineData("order")]
    [InlineData("original-order")]
    [InlineData("proposal")]
    public void PlannedIntentPlan_OtherIntentAuthoredAfterTheIndex_IsNotPlanned(string intent)
    {
        var run = new TimelineBuilder()
            .ServiceRequest("sr1", "2024-03-05T10:00:00+08:00", intent: intent)
            .SpineIndex()
            .Return("ret", ReturnStart, p => p.BasedOnServiceRequest("sr1"))
            .Evaluate();

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void PlannedCarePlan_BasedOnACarePlan_IsPlanned()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", ReturnStart, p => p.BasedOnCarePlan("cp1"))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.Planned);
        Assert.Equal(["CarePlan/cp1"], run.SingleLog(Decision.Excluded, Clause.VerdictNotPlanned, "Procedure/ret").Evidence);
    }

    [Fact]
    public void Planned_OnAnyProcedureOfTheCandidate_IsPlanned()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", ReturnStart)
            .Procedure("ret2", p => p.At(ReturnStart).Icd9(Codes.Discectomy).BasedOnCarePlan("cp1"))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.Planned);
    }

    [Fact]
    public void PlannedStagedCode_CodeMappedToStagedProcedure_IsPlanned()
    {
        const string local = "http://hospital.example/proc";
        var maps = Mappings.With(Mappings.LocalMap(local, ("STAGE-2", Category.StagedProcedure, ConceptMapEquivalence.Wider)));

        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Code(local, "STAGE-2").InTheatre().ByOrthopaedics())
            .Evaluate(maps: maps);

        run.AssertExcluded("op1", "ret", Reason.Planned);
        Assert.Equal([local + "|STAGE-2"], run.SingleLog(Decision.Excluded, Clause.VerdictNotPlanned, "Procedure/ret").Codes);
    }

    [Fact]
    public void PlannedStagedCode_DefaultMappings_MapNothingToStaged()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At(ReturnStart).Code("http://hospital.example/proc", "STAGE-2").InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertCounted("op1", "ret");
    }

    [Fact]
    public void Planned_MissingServiceRequest_IsLoggedAndNotPlanned()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", ReturnStart, p => p.BasedOnServiceRequest("gone"))
            .Evaluate();

        run.AssertCounted("op1", "ret");
        Assert.Equal(["ServiceRequest/gone"], Assert.Single(run.Log(Decision.Missing, source: "Procedure/ret")).Evidence);
    }

    [Fact]
    public void Planned_ComparedWithTheIndexOfItsOwnSubject()
    {
        // Authored before the second index but after the first: only the second subject's candidate is planned.
        var run = new TimelineBuilder()
            .ServiceRequest("sr1", "2024-06-05T10:00:00+08:00")
            .SpineIndex()
            .Procedure("op2", p => p.SpineFusion("2024-06-10T09:00:00+08:00"))
            .Return("ret", "2024-06-15T10:00:00+08:00", p => p.BasedOnServiceRequest("sr1"))
            .Evaluate();

        run.AssertExcluded("op2", "ret", Reason.Planned);
        run.AssertNotACandidate("op1", "ret");
    }
}
