using FhirBridge.Mapping;
using FhirBridge.Timeline;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Mapping;

/// <summary>Translation: normalisation, longest-prefix matching, equivalences and aliases (spec, "Mappings").</summary>
public class CategoryMapsTests
{
    private static CategoryMaps MapsOf(string source, params (string Code, string Category, ConceptMapEquivalence Equivalence)[] elements) =>
        MapsOf(new CodeSystems(), source, elements);

    private static CategoryMaps MapsOf(CodeSystems systems, string source, params (string Code, string Category, ConceptMapEquivalence Equivalence)[] elements) =>
        CategoryMaps.From([(Builders.Mappings.LocalMap(source, elements), "test")], systems);

    [Theory]
    [InlineData("8107", "81.07")]
    [InlineData(" 81.07 ", "81.07")]
    [InlineData("0309", "03.09")]
    public void Codes_Icd9ProcedureWithoutDot_GetsDotAfterSecondCharacter(string written, string normalised)
    {
        var maps = MapsOf(CodeSystems.Icd9Cm, ("81.07", Category.SpineSurgery, ConceptMapEquivalence.Wider), ("03.09", Category.SpineSurgery, ConceptMapEquivalence.Wider));

        var t = maps.Translate(new SourceCoding(CodeSystems.Icd9Cm, written), CodeUse.Procedure);

        Assert.Equal(normalised, t.NormalizedCode);
        Assert.Equal(Category.SpineSurgery, Assert.Single(t.Matches).Category);
    }

    [Theory]
    [InlineData("M480", "M48.0")]
    [InlineData("m48.0", "M48.0")]
    [InlineData("M48", "M48")]
    public void Codes_Icd10WithoutDot_GetsDotAfterThirdCharacter(string written, string normalised) =>
        Assert.Equal(normalised, CodeNormalizer.Normalize(CodeSystems.Icd10, written, CodeUse.Diagnosis));

    [Fact]
    public void PrefixMatching_Icd10SubCode_MatchesLongestMappedPrefix()
    {
        var maps = MapsOf(CodeSystems.Icd10, ("M51", Category.CohortDegenerative, ConceptMapEquivalence.Wider), ("M51.1", Category.CohortFracture, ConceptMapEquivalence.Wider));

        var deeper = maps.Translate(new SourceCoding(CodeSystems.Icd10, "M51.16"), CodeUse.Diagnosis);
        var sibling = maps.Translate(new SourceCoding(CodeSystems.Icd10, "M51.2"), CodeUse.Diagnosis);

        Assert.Equal(("M51.1", true, Category.CohortFracture), (deeper.Matches[0].MatchedCode, deeper.Matches[0].IsPrefixMatch, deeper.Matches[0].Category));
        Assert.Equal(("M51", true, Category.CohortDegenerative), (sibling.Matches[0].MatchedCode, sibling.Matches[0].IsPrefixMatch, sibling.Matches[0].Category));
    }

    [Fact]
    public void PrefixMatching_ChineseNationalExtension_FallsUnderTheIcd9Code()
    {
        var maps = MapsOf(CodeSystems.Icd9Cm, ("81.07", Category.SpineSurgery, ConceptMapEquivalence.Wider));

        var t = maps.Translate(new SourceCoding(CodeSystems.Icd9Cm, "81.0700x001"), CodeUse.Procedure);

        var match = Assert.Single(t.Matches);
        Assert.Equal("81.07", match.MatchedCode);
        Assert.True(match.IsPrefixMatch);
    }

    [Fact]
    public void PrefixMatching_NonIcdSystem_MatchesOnlyExactly()
    {
        var maps = MapsOf("http://hospital.example/proc", ("SPX", Category.SpineSurgery, ConceptMapEquivalence.Wider));

        Assert.Empty(maps.Translate(new SourceCoding("http://hospital.example/proc", "SPX-01"), CodeUse.Procedure).Matches);
        Assert.Single(maps.Translate(new SourceCoding("http://hospital.example/proc", " SPX "), CodeUse.Procedure).Matches);
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
    public void Equivalences_OnlyThoseTheSpecNames_Count(ConceptMapEquivalence equivalence, bool counts)
    {
        var maps = MapsOf("http://hospital.example/proc", ("SPX-01", Category.SpineSurgery, equivalence));

        var t = maps.Translate(new SourceCoding("http://hospital.example/proc", "SPX-01"), CodeUse.Procedure);

        Assert.Equal(counts, t.Matches.Count == 1);
        Assert.Equal(!counts, t.Ignored.Count == 1);
    }

    [Fact]
    public void Equivalences_NonCountingLongerPrefix_FallsBackToShorterCountingOne()
    {
        var maps = MapsOf(CodeSystems.Icd10, ("M51", Category.CohortDegenerative, ConceptMapEquivalence.Wider), ("M51.1", Category.CohortTumor, ConceptMapEquivalence.Relatedto));

        var t = maps.Translate(new SourceCoding(CodeSystems.Icd10, "M51.1"), CodeUse.Diagnosis);

        Assert.Equal(Category.CohortDegenerative, Assert.Single(t.Matches).Category);
        Assert.Equal("relatedto", Assert.Single(t.Ignored).Equivalence);
    }

    [Fact]
    public void Aliases_HospitalSystemDeclaredIcd10_IsNormalisedAndPrefixMatched()
    {
        var systems = new CodeSystems(icd10Aliases: ["http://hospital.example/icd10-gb"]);
        var maps = MapsOf(systems, CodeSystems.Icd10, ("M51", Category.CohortDegenerative, ConceptMapEquivalence.Wider));

        var t = maps.Translate(new SourceCoding("http://hospital.example/icd10-gb", "M5110"), CodeUse.Diagnosis);

        Assert.Equal("M51.10", t.NormalizedCode);
        Assert.Equal(Category.CohortDegenerative, Assert.Single(t.Matches).Category);
    }

    [Fact]
    public void Aliases_UndeclaredHospitalSystem_DoesNotMatchIcd()
    {
        var maps = MapsOf(CodeSystems.Icd10, ("M51", Category.CohortDegenerative, ConceptMapEquivalence.Wider));

        Assert.Empty(maps.Translate(new SourceCoding("http://hospital.example/icd10-gb", "M51.1"), CodeUse.Diagnosis).Matches);
    }

    [Fact]
    public void From_TargetNotACategory_IsAnInvalidMapping()
    {
        var e = Assert.Throws<InvalidMappingException>(() => MapsOf(CodeSystems.Icd10, ("M51", "spinal", ConceptMapEquivalence.Wider)));

        Assert.Contains("unknown category 'spinal'", e.Message, StringComparison.Ordinal);
    }
}
