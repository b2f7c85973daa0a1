using System.Text.Json.Nodes;
using FhirBridge.Conformance;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// The cheap path of <see cref="TransactionValidation.Validate"/> never changes a result: on change sets of the
/// fixture's real registry resources, every mutated copy of each resource and every mutation of the Bundle's own
/// elements, it says exactly what the strict reference (<see cref="TransactionValidation.ValidateStrictly"/>) says.
/// </summary>
public class TransactionValidationTests
{
    private static readonly TransactionValidation Validation = new(RegistryProfiles.Validator);

    [Fact]
    public void Validate_ChangeSetOfRegistryResources_ConformsLikeTheReference()
    {
        var json = Transaction(Resources()).ToJsonString();

        Assert.Empty(Validation.Validate(json)!);
        Assert.Empty(Validation.ValidateStrictly(json)!);
    }

    [Fact]
    public void Validate_EveryMutatedResource_MatchesTheReference()
    {
        foreach (var original in Resources())
        {
            foreach (var (name, copy) in ValidatorReferenceTests.Mutations(original).Prepend(("original", original)))
            {
                AssertSame(name, Transaction([copy]).ToJsonString());
            }
        }
    }

    [Fact]
    public void Validate_EveryMutationOfTheBundleItself_MatchesTheReference()
    {
        var bundle = Transaction(Resources().Take(12));
        foreach (var (name, copy) in ValidatorReferenceTests.Mutations(bundle))
        {
            // The resources' own mutations are the test above; here the Bundle, its entries, requests and full urls.
            if (!name.Contains("/resource/", StringComparison.Ordinal) || name.EndsWith("/resource", StringComparison.Ordinal))
            {
                AssertSame(name, copy.ToJsonString());
            }
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{"resourceType":"Patient"}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","text":{"status":"generated","div":"<p>no namespace</p>"}}}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","birthDate":"1970-13"}}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUTT","url":"Patient/1"}}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"url":"Patient/1"}}]}""")]
    public void Validate_Malformed_MatchesTheReference(string json) => AssertSame(json, json);

    private static void AssertSame(string name, string json)
    {
        var expected = Validation.ValidateStrictly(json);
        var actual = Validation.Validate(json);
        Assert.True(expected is null == actual is null, $"{name}: strict {(expected is null ? "unreadable" : "readable")}, cheap {(actual is null ? "unreadable" : "readable")}");
        if (expected is not null)
        {
            Assert.True(expected.SequenceEqual(actual!), $"{name}: strict {expected.Count} violation(s), cheap {actual!.Count}");
        }
    }

    internal static List<JsonNode> Resources() =>
        [.. File.ReadLines(Path.Combine(ValidatorReferenceTests.Fixtures, "registry-resources.ndjson")).Select(line => JsonNode.Parse(line)!)];

    internal static JsonObject Transaction(IEnumerable<JsonNode> resources)
    {
        var entries = new JsonArray();
        var n = 0;
        foreach (var resource in resources)
        {
            n++;
            entries.Add(new JsonObject
            {
                ["fullUrl"] = $"urn:uuid:6f1b2c3d-0000-4000-8000-{n:D12}",
                ["resource"] = resource.DeepClone(),
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"{(string?)resource["resourceType"]}?identifier=x|{n}" },
            });
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };
    }
}
