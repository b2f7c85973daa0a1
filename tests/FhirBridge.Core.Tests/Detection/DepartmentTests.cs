using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>
/// Spec, "Department": from the principal Procedure, the first present of the performers' onBehalfOf Organizations,
/// the Encounter's serviceType, the Encounter's serviceProvider; unknown is not orthopaedics. Judged on the index.
/// </summary>
public class DepartmentTests
{
    [Fact]
    public void Department1Performer_Orthopaedics_IsOrthopaedics()
    {
        var run = Index(p => p.ByOrthopaedics());

        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Department1Performer_Neurosurgery_IsOtherDepartment()
    {
        var run = Index(p => p.ByNeurosurgery());

        run.AssertRefused("op1", Reason.OtherDepartment);
        Assert.Equal(["Organization/neuro"], run.SingleLog(Decision.Excluded, Clause.IndexOrthopaedics, "Procedure/op1").Evidence);
    }

    [Fact]
    public void Department1Performer_AnyOfThemOrthopaedics_IsOrthopaedics()
    {
        var run = Index(p => p.ByNeurosurgery().ByOrthopaedics());

        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Department1Performer_WinsOverTheEncounter()
    {
        var run = Index(p => p.ByNeurosurgery().InEncounter("e1"), e => e.OrthopaedicsService().ProvidedBy(TimelineBuilder.OrthopaedicsOrganization));

        run.AssertRefused("op1", Reason.OtherDepartment);
    }

    [Fact]
    public void Department1Performer_OnlyThePrincipalIsRead()
    {
        // The second Procedure of the operation is by orthopaedics; the principal (earliest) is by neurosurgery.
        var run = new TimelineBuilder()
            .Procedure("a", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).InTheatre().ByNeurosurgery())
            .Procedure("b", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.Discectomy).ByOrthopaedics())
            .Evaluate();

        run.AssertRefused("a", Reason.OtherDepartment);
    }

    [Fact]
    public void Department1Performer_MissingOrganization_IsLoggedMissingAndFallsThrough()
    {
        var run = Index(p => p.OnBehalfOf("gone").InEncounter("e1"), e => e.OrthopaedicsService());

        run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Equal(["Organization/gone"], run.SingleLog(Decision.Missing, Clause.DepartmentPerformer, "Procedure/op1").Evidence);
    }

    [Fact]
    public void Department1Performer_MissingOrganizationAndNothingElse_IsUnknownSoOtherDepartment()
    {
        var run = Index(p => p.OnBehalfOf("gone"));

        run.AssertRefused("op1", Reason.OtherDepartment);
        Assert.Single(run.Log(Decision.Missing, Clause.DepartmentPerformer, "Procedure/op1"));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Department2ServiceType_NoPerformer_EncounterServiceTypeDecides(bool orthopaedics, bool eligible)
    {
        var run = Index(
            p => p.InEncounter("e1"),
            e =>
            {
                (orthopaedics ? e.OrthopaedicsService() : e.NeurosurgeryService()).ProvidedBy(TimelineBuilder.OrthopaedicsOrganization);
            });

        // The service provider (orthopaedics) is not read when a service type is present.
        Assert.Equal(eligible ? 1 : 0, run.Subjects.Count);
    }

    [Theory]
    [InlineData(TimelineBuilder.OrthopaedicsOrganization, true)]
    [InlineData(TimelineBuilder.NeurosurgeryOrganization, false)]
    public void Department3ServiceProvider_NoPerformerNoServiceType_ServiceProviderDecides(string provider, bool eligible)
    {
        var run = Index(p => p.InEncounter("e1"), e => e.ProvidedBy(provider));

        Assert.Equal(eligible ? 1 : 0, run.Subjects.Count);
        if (!eligible)
        {
            run.AssertRefused("op1", Reason.OtherDepartment);
        }
    }

    [Fact]
    public void Department3ServiceProvider_MissingOrganization_IsLoggedAndUnknown()
    {
        var run = Index(p => p.InEncounter("e1"), e => e.ProvidedBy("gone"));

        run.AssertRefused("op1", Reason.OtherDepartment);
        Assert.Single(run.Log(Decision.Missing, Clause.DepartmentServiceProvider, "Encounter/e1"));
    }

    [Fact]
    public void DepartmentUnknown_NoPerformerNoEncounter_IsNotOrthopaedics()
    {
        var run = Index(_ => { });

        run.AssertRefused("op1", Reason.OtherDepartment);
    }

    [Fact]
    public void DepartmentUnknown_EncounterWithNeitherServiceTypeNorProvider_IsNotOrthopaedics()
    {
        var run = Index(p => p.InEncounter("e1"), _ => { });

        run.AssertRefused("op1", Reason.OtherDepartment);
    }

    [Fact]
    public void DepartmentUnknown_MissingEncounter_IsLoggedMissing()
    {
        var run = Index(p => p.InEncounter("gone"));

        run.AssertRefused("op1", Reason.OtherDepartment);
        Assert.Single(run.Log(Decision.Missing, source: "Procedure/op1"), e => e.Evidence.Contains("Encounter/gone"));
    }

    [Fact]
    public void Department_OnACandidateReturn_OtherDepartmentIsExcluded()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Procedure("ret", p => p.At("2024-03-10T10:00:00+08:00").Icd9(Codes.ExcisionalDebridement).InTheatre().OnBehalfOf("gone"))
            .Evaluate();

        run.AssertExcluded("op1", "ret", Reason.OtherDepartment);
    }

    private static RuleRun Index(Action<ProcedureBuilder> principal, Action<EncounterBuilder>? encounter = null)
    {
        var timeline = new TimelineBuilder()
            .Procedure("op1", p =>
            {
                p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).InTheatre();
                principal(p);
            });
        if (encounter is not null)
        {
            timeline.Encounter("e1", encounter);
        }

        return timeline.Evaluate();
    }
}
