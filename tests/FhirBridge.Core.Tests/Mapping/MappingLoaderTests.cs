using FhirBridge.Mapping;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Mapping;

/// <summary>Loading mapping directories: the defaults, a hospital's own, and refusing bad files.</summary>
public sealed class MappingLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-maps-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_HospitalDirectory_AddsLocalCodesOnTopOfDefaults()
    {
        var hospital = Path.Combine(RepositoryPaths.Samples, "hospital-mappings");

        var maps = MappingLoader.Load([RepositoryPaths.Mappings, hospital], new CodeSystems());

        Assert.Equal(Category.SpineSurgery, Assert.Single(maps.Translate(new SourceCoding("http://hospital.example/proc", "SPX-01"), CodeUse.Procedure).Matches).Category);
        Assert.Equal(Category.StagedProcedure, Assert.Single(maps.Translate(new SourceCoding("http://hospital.example/proc", "STG-02"), CodeUse.Procedure).Matches).Category);
        Assert.Empty(maps.Translate(new SourceCoding("http://hospital.example/proc", "SPX-99"), CodeUse.Procedure).Matches); // relatedto: does not count
        Assert.Single(maps.Translate(new SourceCoding(CodeSystems.Icd9Cm, "81.07"), CodeUse.Procedure).Matches);
    }

    [Fact]
    public void Load_MalformedJson_NamesTheFile()
    {
        var file = Path.Combine(_dir, "ConceptMap-broken.json");
        File.WriteAllText(file, "{ \"resourceType\": \"ConceptMap\", ");

        var e = Assert.Throws<InvalidMappingException>(() => MappingLoader.Load([_dir], new CodeSystems()));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownElement_IsRefusedStrictly()
    {
        File.WriteAllText(Path.Combine(_dir, "cm.json"), """{ "resourceType": "ConceptMap", "status": "active", "grup": [] }""");

        Assert.Throws<InvalidMappingException>(() => MappingLoader.Load([_dir], new CodeSystems()));
    }

    [Fact]
    public void Load_ResourceThatIsNotTerminology_IsRefused()
    {
        File.WriteAllText(Path.Combine(_dir, "p.json"), """{ "resourceType": "Patient", "id": "x" }""");

        var e = Assert.Throws<InvalidMappingException>(() => MappingLoader.Load([_dir], new CodeSystems()));

        Assert.Contains("not Patient", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingDirectory_IsRefused()
    {
        var e = Assert.Throws<InvalidMappingException>(() => MappingLoader.Load([Path.Combine(_dir, "nope")], new CodeSystems()));

        Assert.Contains("not found", e.Message, StringComparison.Ordinal);
    }
}
