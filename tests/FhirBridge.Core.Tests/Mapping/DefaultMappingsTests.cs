using System.Text.Json;
using FhirBridge.Mapping;
using FhirBridge.Timeline;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Mapping;

/// <summary>The shipped mappings/ against the spec's category table ("Mappings"), written out here independently.</summary>
public class DefaultMappingsTests
{
    private static readonly CategoryMaps Maps = MappingLoader.Load([RepositoryPaths.Mappings], new CodeSystems());

    public static TheoryData<string, string, string> SpecTable()
    {
        var data = new TheoryData<string, string, string>();
        void Add(string category, string system, params string[] codes)
        {
            foreach (var code in codes)
            {
                data.Add(category, system, code);
            }
        }

        string[] Range(string prefix, int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(i => $"{prefix}{i:00}")];

        Add(Category.SpineSurgery, CodeSystems.Icd9Cm, "03.01", "03.02", "03.09", "03.4", "03.53", "03.59", "03.6", "80.50", "80.51", "80.53", "80.54", "80.59", "81.61", "81.65", "81.66");
        Add(Category.SpineSurgery, CodeSystems.Icd9Cm, [.. Range("81.", 0, 8), .. Range("81.", 30, 39), .. Range("84.", 60, 69), .. Range("84.", 80, 85)]);
        Add(Category.SpineSurgery, CodeSystems.Snomed, "55705006");
        Add(Category.AdjunctProcedure, CodeSystems.Icd9Cm, "81.62", "81.63", "81.64", "84.51", "84.52", "84.59");
        Add(Category.TheatreProcedure, CodeSystems.Icd9Cm, "86.22", "78.59", "78.69", "77.69", "77.89", "77.99", "39.98");
        Add(Category.BedsideProcedure, CodeSystems.Icd9Cm, "86.04", "86.28", "86.59", "93.57", "96.59", "02.94", "02.95", "93.41", "93.42", "03.31");
        Add(Category.Theatre, CodeSystems.Snomed, "225738002");
        Add(Category.Ward, CodeSystems.Snomed, "225746001");
        Add(Category.Orthopedics, CodeSystems.Snomed, "394801008");
        Add(Category.CohortDegenerative, CodeSystems.Icd10, "M43.1", "M47", "M48.0", "M48.1", "M48.8", "M50", "M51", "M53.2");
        Add(Category.CohortDeformity, CodeSystems.Icd10, "M40", "M41", "M43.8", "M96.3", "M96.4", "M96.5", "Q67.5", "Q76.3", "Q76.4");
        Add(Category.CohortTumor, CodeSystems.Icd10, "C41.2", "C41.4", "C70.1", "C72.0", "C72.1", "C79.5", "C90.0", "D16.6", "D32.1", "D33.4", "D42.1", "D43.4", "D48.0");
        Add(Category.CohortFracture, CodeSystems.Icd10, "M48.5", "M80", "S12", "S13", "S14.1", "S22.0", "S22.1", "S23", "S24.1", "S32.0", "S32.1", "S33", "S34.1", "T08");
        Add(Category.ProcedureComplication, CodeSystems.Icd10, "T81", "T84", "G96.0", "G97", "M96.8");

        // unrelated-condition: a sample from each chapter or block of the spec's list.
        Add(Category.UnrelatedCondition, CodeSystems.Icd10, "I21", "I50", "J18", "J44", "K35", "K80", "N39", "N20", "O80", "S42", "S72", "S82", "M16", "M17", "M05");
        return data;
    }

    [Theory]
    [MemberData(nameof(SpecTable))]
    public void DefaultMappings_SpecTableCode_MapsExactlyToItsCategory(string category, string system, string code)
    {
        var translation = Maps.Translate(new SourceCoding(system, code), system == CodeSystems.Icd9Cm ? CodeUse.Procedure : CodeUse.Diagnosis);

        var match = Assert.Single(translation.Matches);
        Assert.Equal(category, match.Category);
        Assert.False(match.IsPrefixMatch, $"{code} should be mapped itself, not through a prefix");
    }

    [Fact]
    public void DefaultMappings_CodeSystem_DefinesExactlyTheSpecCategories()
    {
        var json = File.ReadAllText(Path.Combine(RepositoryPaths.Mappings, "CodeSystem-fhirbridge-category.json"));
        var codeSystem = (CodeSystem)new FhirJsonDeserializer().DeserializeResource(json);

        Assert.Equal(Category.System, codeSystem.Url);
        Assert.Equal(Category.All.Order(StringComparer.Ordinal), codeSystem.Concept.Select(c => c.Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DefaultMappings_EveryElement_HasCodeAndDisplayAndNoDuplicates()
    {
        foreach (var file in Directory.GetFiles(RepositoryPaths.Mappings, "ConceptMap-*.json"))
        {
            var map = (ConceptMap)new FhirJsonDeserializer().DeserializeResource(File.ReadAllText(file));
            foreach (var group in map.Group)
            {
                Assert.All(group.Element, e => Assert.False(string.IsNullOrWhiteSpace(e.Display), $"{file}: {e.Code} has no display"));
                var duplicates = group.Element.GroupBy(e => e.Code).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                Assert.True(duplicates.Count == 0, $"{file}: duplicate codes {string.Join(", ", duplicates)}");
            }
        }
    }

    [Theory]
    [InlineData("I03")]
    [InlineData("I04")]
    [InlineData("K24")]
    [InlineData("N09")]
    public void DefaultMappings_CodesThatDoNotExistInIcd10_AreNotListed(string code)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Mappings, "ConceptMap-icd10-condition-category.json")));
        var codes = doc.RootElement.GetProperty("group")[0].GetProperty("element").EnumerateArray().Select(e => e.GetProperty("code").GetString());

        Assert.DoesNotContain(code, codes);
    }

    [Theory]
    [InlineData("I97")]
    [InlineData("J95")]
    [InlineData("K91")]
    [InlineData("N99")]
    public void DefaultMappings_PostproceduralDisorders_AreComplicationsNotUnrelated(string code)
    {
        // The spec's unrelated list is of conditions that "cannot be a spine operation's complication"; the
        // postprocedural blocks of those chapters are complications by definition.
        var translation = Maps.Translate(new SourceCoding(CodeSystems.Icd10, code + ".0"), CodeUse.Diagnosis);

        Assert.Equal([Category.ProcedureComplication], translation.Matches.Select(m => m.Category));
    }
}
