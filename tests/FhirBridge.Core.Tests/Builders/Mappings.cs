using FhirBridge.Mapping;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Builders;

/// <summary>The repository's default mappings (<c>mappings/</c>), found by walking up to FhirBridge.sln, plus in-test ConceptMaps.</summary>
public static class Mappings
{
    private static readonly Lazy<CategoryMaps> DefaultMaps = new(() => MappingLoader.Load([RepositoryPaths.Mappings], new CodeSystems()));

    /// <summary>The repository's <c>mappings/</c> directory.</summary>
    public static string Directory => RepositoryPaths.Mappings;

    /// <summary>The default mappings with no aliases.</summary>
    public static CategoryMaps Default => DefaultMaps.Value;

    /// <summary>The default mappings loaded with a system table (e.g. with ICD aliases).</summary>
    public static CategoryMaps Load(CodeSystems systems) => MappingLoader.Load([Directory], systems);

    /// <summary>The default ConceptMaps plus <paramref name="extra"/>, through <see cref="CategoryMaps.From"/>.</summary>
    public static CategoryMaps With(params ConceptMap[] extra)
    {
        var deserializer = new FhirJsonDeserializer();
        var defaults = System.IO.Directory.EnumerateFiles(Directory, "ConceptMap-*.json")
            .Order(StringComparer.Ordinal)
            .Select(f => (deserializer.Deserialize<ConceptMap>(File.ReadAllText(f)), f));
        return CategoryMaps.From([.. defaults, .. extra.Select(m => (m, "in-test"))], new CodeSystems());
    }

    /// <summary>An in-test ConceptMap from <paramref name="sourceSystem"/> to the category system.</summary>
    public static ConceptMap LocalMap(string sourceSystem, params (string Code, string Category, ConceptMapEquivalence Equivalence)[] elements) => new()
    {
        Url = "http://hospital.example/fhir/ConceptMap/in-test",
        Status = PublicationStatus.Active,
        Group =
        [
            new ConceptMap.GroupComponent
            {
                Source = sourceSystem,
                Target = Category.System,
                Element =
                [
                    .. elements.Select(e => new ConceptMap.SourceElementComponent
                    {
                        Code = e.Code,
                        Target = [new ConceptMap.TargetElementComponent { Code = e.Category, Equivalence = e.Equivalence }],
                    }),
                ],
            },
        ],
    };
}
