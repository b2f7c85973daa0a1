using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The stored-resource reader, which finds names in the parsed document rather than in a dictionary per JSON object,
/// reads what it takes as the Firely path does: over the sample, over seeded text mutations, and over rewrites aimed at
/// the property-name check (duplicate names, escaped names, escaped duplicates, objects past the pairwise limit), one
/// thread or many; and it declines a repeated name in any spelling.
/// </summary>
public class StoredResourceReaderAgreementTests
{
    private static readonly JsonSerializerOptions Dump = new() { WriteIndented = false };

    private static readonly Lazy<List<string>> SampleLines = new(() => [.. Directory.GetFiles(Path.Combine(RepositoryPaths.Samples, "synthetic-hospital"), "*.ndjson")
        .Order(StringComparer.Ordinal)
        .SelectMany(File.ReadLines)
        .Where(l => !string.IsNullOrWhiteSpace(l))]);

    [Fact]
    public void TryRead_EveryLineOfTheSample_AgreesWithTheFirelyPath()
    {
        foreach (var line in SampleLines.Value)
        {
            Assert.True(AssertAgrees(line), line); // the sample is what stores hold: all of it is taken
        }
    }

    [Fact]
    public void TryRead_SeededTextMutations_AgreeWithTheFirelyPath()
    {
        var lines = SampleLines.Value.Concat(StoredResourceReaderTests.ShapeLines).ToList();
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
    public void TryRead_RewrittenPropertyNames_AgreeWithTheFirelyPath()
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
    public void TryRead_NameAndShapeEdges_AgreeWithTheFirelyPath(string json, bool taken) =>
        Assert.Equal(taken, AssertAgrees(json));

    [Fact]
    public void TryRead_ObjectsPastThePairwiseLimit_StillFindDuplicates()
    {
        // 40 distinct names, then one of them repeated at the end, in either spelling: the check past the limit declines it.
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
        var expected = lines.Select(l => StoredResourceReader.TryRead(l, "store", out var r) ? Describe(r, l, complete: false) : "declined").ToList();
        var actual = new string[lines.Count];
        Parallel.For(0, lines.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            actual[i] = StoredResourceReader.TryRead(lines[i], "store", out var r) ? Describe(r, lines[i], complete: false) : "declined");

        Assert.Equal(expected, actual);
    }

    // True when the recompute's read took it. Whatever ingest would store (the Firely path accepts it), the reader
    // must read as the Firely path does, field for field; and so must ingest's fast path (StrictResourceReader, which
    // ends in TryReadComplete) for whatever it takes.
    private static bool AssertAgrees(string json)
    {
        var firely = Firely(json);
        var taken = StoredResourceReader.TryRead(json, "store", out var fast);
        if (taken && firely is not null)
        {
            Assert.Equal(Describe(firely, json, complete: false), Describe(fast, json, complete: false));
        }

        if (StrictResourceReader.TryRead(json, "store", out var ingested))
        {
            Assert.NotNull(firely); // ingest's fast path takes only what the Firely path accepts
            Assert.Equal(Describe(firely, json, complete: true), Describe(ingested, json, complete: true));
        }

        return taken;
    }

    private static IngestResult? Firely(string json)
    {
        try
        {
            return new FhirInputReader().ReadJsonWithFirely(json, "store").ToList() is [{ IsQuarantined: false } accepted] ? accepted : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    // The recompute's read gives the record only; ingest's also the version, last update and the JSON itself.
    private static string Describe(IngestResult? result, string json, bool complete) =>
        result is null ? "null" : string.Join(
            "|",
            result.Origin,
            result.ResourceType,
            result.Id,
            result.Patient,
            complete ? result.VersionId : "",
            complete ? result.LastUpdated?.ToString("o", CultureInfo.InvariantCulture) : "",
            result.IsQuarantined,
            !complete ? "" : result.Json is null ? "no json" : result.Json == json ? "the json read" : "another json",
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
