using FhirBridge.Ingest;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Ingest;

/// <summary>Versions: the same resource seen twice keeps the highest versionId, then the latest lastUpdated, in any order (spec, "Data handling: Versions").</summary>
public class TimelineStoreTests
{
    private static string Procedure(string version, string? lastUpdated, string status = "completed", string code = "81.07") =>
        $$"""{"resourceType":"Procedure","id":"op1","meta":{"versionId":"{{version}}"{{(lastUpdated is null ? "" : $",\"lastUpdated\":\"{lastUpdated}\"")}}},"status":"{{status}}","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-9-cm","code":"{{code}}"}]},"subject":{"reference":"Patient/p1"},"performedDateTime":"2024-03-01T09:00:00+08:00"}""";

    private static ProcedureRecord Latest(params string[] lines)
    {
        var store = new TimelineStore();
        var reader = new FhirInputReader();
        foreach (var line in lines)
        {
            store.Add(Assert.Single(reader.ReadJson(line, "t")));
        }

        return Assert.Single(Assert.Single(store.Timelines(new Dictionary<ResourceKey, LocationRecord>(), new Dictionary<ResourceKey, OrganizationRecord>())).Procedures);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Versions_HigherVersionId_WinsInAnyOrder(bool newerFirst)
    {
        string[] lines = [Procedure("1", null, code: "81.07"), Procedure("2", null, code: "81.08")];

        var latest = Latest(newerFirst ? [lines[1], lines[0]] : lines);

        Assert.Equal("2", latest.Ref.VersionId);
        Assert.Equal("81.08", latest.Code.Codings[0].Code);
    }

    [Fact]
    public void Versions_NumericVersionIds_CompareAsNumbers() =>
        Assert.Equal("10", Latest(Procedure("10", null), Procedure("9", null)).Ref.VersionId);

    [Fact]
    public void Versions_SameVersionId_LatestLastUpdatedWins()
    {
        var latest = Latest(Procedure("3", "2024-03-02T00:00:00Z", code: "81.08"), Procedure("3", "2024-03-01T00:00:00Z", code: "81.07"));

        Assert.Equal("81.08", latest.Code.Codings[0].Code);
    }

    [Fact]
    public void Withdrawn_NewerEnteredInErrorVersion_ReplacesTheOlderOne()
    {
        // The store keeps the withdrawal; the rule then treats the resource as absent (data.withdrawn).
        var latest = Latest(Procedure("1", null), Procedure("2", null, status: "entered-in-error"));

        Assert.True(latest.IsEnteredInError);
    }
}
