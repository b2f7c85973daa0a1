using System.Text.Json.Nodes;
using FhirBridge.Cli.Web.Admin;
using FhirBridge.Mapping;
using FhirBridge.Storage;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Web.Admin;

/// <summary>The ConceptMap skeleton for the unmapped codes: once its targets are filled in, the project's loader takes it as a hospital mapping.</summary>
public sealed class ConceptMapSkeletonTests : IDisposable
{
    private const string Local = "http://hospital.example/proc";
    private const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-skeleton-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly UnmappedCode[] Codes =
    [
        new(Icd10, "E11.9", 59, ["a"], ["Condition/c1/_history/1"]),
        new(Local, "SPX-77", 3, ["a"], ["Procedure/p1/_history/1"]),
        new(Local, "SPX-12", 1, ["a"], ["Procedure/p2/_history/1"]),
        new("", "NOSYS", 1, ["a"], ["Procedure/p3/_history/1"]),
    ];

    [Fact]
    public void Build_OneGroupPerSystem_TargetingTheCategorySystem_ElementsWithoutTargets()
    {
        var map = JsonNode.Parse(ConceptMapSkeleton.Build(Codes, DateTimeOffset.UnixEpoch))!;

        var groups = map["group"]!.AsArray();
        Assert.Equal([Icd10, Local], groups.Select(g => (string)g!["source"]!));
        Assert.All(groups, g => Assert.Equal(Category.System, (string)g!["target"]!));
        Assert.Equal(["SPX-12", "SPX-77"], groups[1]!["element"]!.AsArray().Select(e => (string)e!["code"]!));
        Assert.All(groups.SelectMany(g => g!["element"]!.AsArray()), e => Assert.Null(e!["target"]));
        Assert.Contains("1 unmapped codes were sent without a code system", (string)map["description"]!, StringComparison.Ordinal);
        Assert.Contains("equivalence", (string)map["description"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_FilledIn_LoadsWithTheMappingLoaderAndMapsTheCodes()
    {
        var map = JsonNode.Parse(ConceptMapSkeleton.Build(Codes, DateTimeOffset.UnixEpoch))!;

        // What the admin does, as the description says: a target for the codes they can map, the rest removed.
        var local = map["group"]!.AsArray().Single(g => (string)g!["source"]! == Local)!;
        foreach (var element in local["element"]!.AsArray())
        {
            element!["target"] = new JsonArray(new JsonObject { ["code"] = Category.SpineSurgery, ["equivalence"] = "wider" });
        }

        map["group"]!.AsArray().Remove(map["group"]!.AsArray().Single(g => (string)g!["source"]! == Icd10));
        map["status"] = "active";
        File.WriteAllText(Path.Combine(_dir, "ConceptMap-local.json"), map.ToJsonString());

        var maps = MappingLoader.Load([_dir], new CodeSystems());

        Assert.Equal(Category.SpineSurgery, Assert.Single(maps.Translate(new SourceCoding(Local, "SPX-77"), CodeUse.Procedure).Matches).Category);
        Assert.Equal(Category.SpineSurgery, Assert.Single(maps.Translate(new SourceCoding(Local, "SPX-12"), CodeUse.Procedure).Matches).Category);
    }

    [Fact]
    public void Build_NothingUnmapped_HasNoGroup()
    {
        var map = JsonNode.Parse(ConceptMapSkeleton.Build([], DateTimeOffset.UnixEpoch))!;

        Assert.Null(map["group"]);
        Assert.Equal("ConceptMap", (string)map["resourceType"]!);
    }
}
