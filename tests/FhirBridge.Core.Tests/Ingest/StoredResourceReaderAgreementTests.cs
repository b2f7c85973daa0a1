using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The stored-resource reader takes and declines exactly what it took and declined before its reads stopped building a
/// dictionary per JSON object (<see cref="StoredResourceReaderBaseline"/>), with the same results: over the sample, over
/// seeded text mutations, and over rewrites aimed at the property-name check (duplicate names, escaped names, escaped
/// duplicates, objects past the pairwise limit), one thread or many.
/// </summary>
public class StoredResourceReaderAgreementTests
{
    private static readonly JsonSerializerOptions Dump = new() { WriteIndented = false };

    private static readonly Lazy<List<string>> SampleLines = new(() => [.. Directory.GetFiles(Path.Combine(RepositoryPaths.Samples, "synthetic-hospital"), "*.ndjson")
        .Order(StringComparer.Ordinal)
        .SelectMany(File.ReadLines)
        .Where(l => !string.IsNullOrWhiteSpace(l))]);

    [Fact]
    public void TryRead_EveryLineOfTheSample_AgreesWithTheBaseline()
    {
        foreach (var line in SampleLines.Value)
        {
            Assert.True(AssertAgrees(line), line); // the sample is what stores hold: all of it is taken
        }
    }

    [Fact]
    public void TryRead_SeededTextMutations_AgreeWithTheBaseline()
    {
        var lines = SampleLines.Value;
        var random = new Random(20260517);
        const string noise = "{}[]\":,0a\\ \u00e9-T+eE.n";
        var taken = 0;
        for (var i = 0; i < 20000; i++)
        {
            var line = lines[random.Next(lines.Count)];
            var at = random.Next(line.Length);
            var mutated = random.Next(3) switch
            {
                0 => line.Remove(at, 1),
                1 => line.Insert(at, noise[random.Next(noise.Length)].ToString()),
                _ => line[..at] + line[Math.Min(line.Length, at + random.Next(1, 30))..],
            };
            taken += AssertAgrees(mutated) ? 1 : 0;
        }

        Assert.InRange(taken, 1, 19999); // both verdicts were exercised
    }

    [Fact]
    public void TryRead_RewrittenPropertyNames_AgreeWithTheBaseline()
    {
        var lines = SampleLines.Value;
        var random = new Random(20260518);
        int taken = 0, declined = 0;
        for (var i = 0; i < 6000; i++)
        {
            using var document = JsonDocument.Parse(lines[random.Next(lines.Count)]);
            var text = new StringBuilder();
            Rewrite(document.RootElement, text, random);
            if (AssertAgrees(text.ToString()))
            {
                taken++;
            }
            else
            {
                declined++;
            }
        }

        Assert.True(taken > 0 && declined > 0, $"taken {taken}, declined {declined}");
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","id":"p1","gender":"male","gender":"female"}""", false)]
    [InlineData("""{"resourceType":"Patient","id":"p1","gender":"male","\u0067ender":"female"}""", false)]
    [InlineData("""{"resourceType":"Patient","id":"p1","\u0067ender":"female"}""", true)]
    [InlineData("""{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","version\u0049d":"2"}}""", false)]
    [InlineData("""{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","versionI":"2"}}""", true)]
    [InlineData("""{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Patient/p"},"valueQuantity":{"value":1e2}}""", false)]
    [InlineData("""{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Patient/p"},"valueQuantity":{"value":12.50}}""", true)]
    [InlineData("""{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p"},"verificationStatus":{"coding":[{"code":"x"},null]}}""", false)]
    [InlineData("""{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p"},"code":{"coding":[{"system":"s"}]}}""", true)]
    [InlineData("""{"resourceType":"Encounter","id":"e","subject":{"reference":"Patient/p"},"location":[{"location":{"display":"x"},"period":{"start":" 2024"}}]}""", true)]
    [InlineData("""{"resourceType":"Encounter","id":"e","subject":{"reference":"Patient/p"},"location":[{"location":{"reference":"Location/l"},"period":{"start":" 2024"}}]}""", false)]
    public void TryRead_NameAndShapeEdges_AgreeWithTheBaseline(string json, bool taken) =>
        Assert.Equal(taken, AssertAgrees(json));

    [Fact]
    public void TryRead_ObjectsPastThePairwiseLimit_FindDuplicatesAsTheBaselineDoes()
    {
        // 40 distinct names, then the same 40 with one repeated at the end: the check past the limit is the same verdict.
        var names = string.Join(",", Enumerable.Range(0, 40).Select(i => string.Create(CultureInfo.InvariantCulture, $"\"_x{i}\":null")));
        Assert.True(AssertAgrees("{" + names + ""","resourceType":"Patient","id":"p1","gender":"female"}"""));
        Assert.False(AssertAgrees("{" + names + ""","resourceType":"Patient","id":"p1","_x3":1}"""));
        Assert.False(AssertAgrees("{" + names + ""","resourceType":"Patient","id":"p1","\u005fx3":1}"""));
    }

    [Fact]
    public void TryRead_ManyThreadsAtOnce_GiveWhatOneThreadGives()
    {
        var random = new Random(20260519);
        var lines = SampleLines.Value.Concat(SampleLines.Value.Select(l => l.Insert(random.Next(l.Length), "\""))).ToList();
        var expected = lines.Select(l => StoredResourceReader.TryRead(l, "store", out var r) ? Describe(r) : "declined").ToList();
        var actual = new string[lines.Count];
        Parallel.For(0, lines.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            actual[i] = StoredResourceReader.TryRead(lines[i], "store", out var r) ? Describe(r) : "declined");

        Assert.Equal(expected, actual);
    }

    // True when both took it; fails when the verdicts or the results differ, for the recompute's read and ingest's.
    private static bool AssertAgrees(string json)
    {
        var taken = StoredResourceReader.TryRead(json, "store", out var fast);
        Assert.Equal(StoredResourceReaderBaseline.TryRead(json, "store", out var before), taken);
        Assert.Equal(Describe(before, json), Describe(fast, json));

        var complete = StoredResourceReader.TryReadComplete(json, "ingest", out var fastComplete);
        Assert.Equal(StoredResourceReaderBaseline.TryReadComplete(json, "ingest", out var beforeComplete), complete);
        Assert.Equal(Describe(beforeComplete, json), Describe(fastComplete, json));
        return taken;
    }

    private static string Describe(IngestResult? result, string? json = null) =>
        result is null ? "null" : string.Join(
            "|",
            result.Origin,
            result.ResourceType,
            result.Id,
            result.Patient,
            result.VersionId,
            result.LastUpdated?.ToString("o", CultureInfo.InvariantCulture),
            result.IsQuarantined,
            result.Json is null ? "no json" : ReferenceEquals(result.Json, json) ? "the json read" : "another json",
            result.Record is null ? "no record" : result.Record.GetType().Name + JsonSerializer.Serialize(result.Record, result.Record.GetType(), Dump));

    // Writes the element back as JSON, now and then giving an object a repeated name (same or escaped spelling), an
    // escaped spelling of a name, or enough extra properties to pass the pairwise limit.
    private static void Rewrite(JsonElement element, StringBuilder text, Random random)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = element.EnumerateObject().ToList();
                var mutation = random.Next(12);
                text.Append('{');
                var first = true;
                void Name(string name, bool escape)
                {
                    text.Append(first ? "\"" : ",\"");
                    first = false;
                    text.Append(escape && name.Length > 0 ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)name[0]:x4}{name[1..]}") : name).Append("\":");
                }

                if (mutation == 0)
                {
                    for (var i = 0; i < 40; i++)
                    {
                        Name(string.Create(CultureInfo.InvariantCulture, $"_pad{i}"), false);
                        text.Append("null");
                    }
                }

                foreach (var property in properties)
                {
                    Name(property.Name, mutation == 1 && random.Next(2) == 0);
                    Rewrite(property.Value, text, random);
                }

                if (mutation == 0 && random.Next(2) == 0)
                {
                    Name("_pad7", false); // a repeat past the pairwise limit
                    text.Append("null");
                }

                if (mutation is 2 or 3 && properties.Count > 0)
                {
                    var repeated = properties[random.Next(properties.Count)];
                    Name(repeated.Name, mutation == 3);
                    Rewrite(repeated.Value, text, random);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    text.Append(firstItem ? "" : ",");
                    firstItem = false;
                    Rewrite(item, text, random);
                }

                text.Append(']');
                break;
            default:
                text.Append(element.GetRawText());
                break;
        }
    }
}
