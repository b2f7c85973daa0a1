using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Tests.Builders;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Detection;

/// <summary>
/// Spec, "Data handling: Codes are normalised" and "Mappings" (which equivalences count, prefix matching), through
/// the real default ConceptMaps and in-test ones.
/// </summary>
public class DataHandlingCodesTests
{
    private const string LocalProcedures = "http://hospital.example/proc";

    [Fact]
    public void Codes_Icd9ProcedureWithoutDot_GetsDotAfterSecondCharacter()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9("8107").InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        var entry = Assert.Single(run.MapLog("Procedure/op1", Decision.Mapped));
        Assert.Equal(Category.SpineSurgery, entry.Reason);
    }

    [Theory]
    [InlineData("034")] // 03.4
    [InlineData("0309")] // 03.09
    [InlineData("8451x")] // not a spine code once dotted (84.51X falls under the adjunct 84.51): guards the dot position
    public void Codes_Icd9ProcedureWithoutDot_DotAfterTheSecondCharacterWhateverTheLength(string code)
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(code).InTheatre().ByOrthopaedics())
            .Evaluate();

        Assert.Equal(code.StartsWith("84", StringComparison.Ordinal) ? 0 : 1, run.Subjects.Count);
    }

    [Fact]
    public void Codes_SurroundingSpacesInLocationAndOrganizationTypes_AreRemoved()
    {
        var run = new TimelineBuilder()
            .Location("or2", Codes.Snomed, " " + Codes.OperatingRoom + " ")
            .Organization("ortho2", Codes.Snomed, Codes.TraumaAndOrthopedics + " ")
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.LumbarFusion).AtLocation("or2").OnBehalfOf("ortho2"))
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        Assert.Empty(run.Log(Decision.Assumed, Clause.SettingCodes));
    }

    [Fact]
    public void Codes_SurroundingSpaces_AreRemoved()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Code(" " + Codes.Icd9Cm + " ", " 81.07 ").InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
    }

    [Fact]
    public void Codes_Icd10WithoutDot_GetsDotAfterThirdCharacter()
    {
        // M480 -> M48.0, an exact (not prefix) match: M48 itself is not mapped.
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason("M480")).Evaluate();

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
        Assert.Equal("M48.0", run.SingleSubject.CohortEvidence!.MatchedCode);
        Assert.False(run.SingleSubject.CohortEvidence.IsPrefixMatch);
        Assert.Null(run.SingleLog(Decision.Mapped, Clause.CohortOrder).Prefix);
    }

    [Fact]
    public void Codes_NationalExtension_PrefixMatchedWithPrefixInTheLog()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9("81.0700x001").InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
        var entry = Assert.Single(run.MapLog("Procedure/op1", Decision.PrefixMatch));
        Assert.Equal("81.07", entry.Prefix);
        Assert.Equal([Codes.Icd9Cm + "|81.0700x001"], entry.Codes);
    }

    [Fact]
    public void Codes_Icd10PrefixMatch_LogsThePrefixInTheCohortDecision()
    {
        var run = new TimelineBuilder().SpineIndex(more: p => p.Reason(Codes.LumbarDiscDisorder)).Evaluate();

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
        Assert.Equal("M51", run.SingleLog(Decision.Mapped, Clause.CohortOrder).Prefix);
        Assert.Equal("M51", Assert.Single(run.MapLog("Procedure/op1", Decision.PrefixMatch)).Prefix);
    }

    [Fact]
    public void Codes_UnmappedProcedureCode_IsLoggedUnmapped()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Icd9(Codes.UnmappedProcedure).InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertNoIndex();
        Assert.Single(run.MapLog("Procedure/op1", Decision.Unmapped));
    }

    [Theory]
    [InlineData(ConceptMapEquivalence.Equivalent, true)]
    [InlineData(ConceptMapEquivalence.Equal, true)]
    [InlineData(ConceptMapEquivalence.Wider, true)]
    [InlineData(ConceptMapEquivalence.Subsumes, true)]
    [InlineData(ConceptMapEquivalence.Relatedto, false)]
    [InlineData(ConceptMapEquivalence.Narrower, false)]
    [InlineData(ConceptMapEquivalence.Specializes, false)]
    [InlineData(ConceptMapEquivalence.Inexact, false)]
    [InlineData(ConceptMapEquivalence.Unmatched, false)]
    [InlineData(ConceptMapEquivalence.Disjoint, false)]
    public void Codes_Equivalence_CountsOnlyWhenEquivalentEqualWiderOrSubsumes(ConceptMapEquivalence equivalence, bool counts)
    {
        var maps = Mappings.With(Mappings.LocalMap(LocalProcedures, ("SPX-01", Category.SpineSurgery, equivalence)));

        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Code(LocalProcedures, "SPX-01").InTheatre().ByOrthopaedics())
            .Evaluate(maps: maps);

        Assert.Equal(counts ? 1 : 0, run.Subjects.Count);
    }

    [Fact]
    public void Codes_EquivalenceRelatedTo_IsLoggedAsNotCounting()
    {
        var maps = Mappings.With(Mappings.LocalMap(LocalProcedures, ("SPX-99", Category.SpineSurgery, ConceptMapEquivalence.Relatedto)));

        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Code(LocalProcedures, "SPX-99").InTheatre().ByOrthopaedics())
            .Evaluate(maps: maps);

        run.AssertNoIndex();
        var entry = Assert.Single(run.MapLog("Procedure/op1", Decision.Unmapped));
        Assert.Contains("relatedto", entry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Codes_Icd9CmAlias_IsReadAsIcd9Cm()
    {
        const string alias = "http://hospital.example/fhir/sid/icd9";
        var timeline = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Code(alias, "8107").InTheatre().ByOrthopaedics());

        var withAlias = timeline.Evaluate(maps: Mappings.Load(new CodeSystems(icd9CmAliases: [alias])));
        var withoutAlias = timeline.Evaluate();

        withAlias.AssertSubject("op1", Outcome.NoReturn);
        withoutAlias.AssertNoIndex();
    }

    [Fact]
    public void Codes_Icd10Alias_IsReadAsIcd10WithPrefixMatching()
    {
        const string alias = "http://hospital.example/fhir/sid/icd10";
        var run = new TimelineBuilder()
            .SpineIndex(more: p => p.ReasonCode(alias, "M511"))
            .Evaluate(maps: Mappings.Load(new CodeSystems(icd10Aliases: [alias])));

        Assert.Equal("degenerative", run.SingleSubject.Cohort);
        Assert.Equal("M51", run.SingleSubject.CohortEvidence!.MatchedCode);
    }

    [Fact]
    public void Codes_SnomedSpinalFusion_IsASpineOperation()
    {
        var run = new TimelineBuilder()
            .Procedure("op1", p => p.At(TimelineBuilder.IndexStart).Snomed("55705006").InTheatre().ByOrthopaedics())
            .Evaluate();

        run.AssertSubject("op1", Outcome.NoReturn);
    }
}
