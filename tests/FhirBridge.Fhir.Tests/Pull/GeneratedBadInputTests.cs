using FhirBridge.Fhir.Tests.Support;
using System.Text.Json.Nodes;
using CsCheck;
using FhirBridge.Fhir.Pull;
using FhirBridge.Ingest;
using FhirBridge.Storage.Sqlite;

namespace FhirBridge.Fhir.Tests.Pull;

/// <summary>
/// Property: whatever a hospital sends, nothing crashes and nothing is lost. Generated NDJSON files, mixing valid
/// lines of the committed sample with mutated ones (text cuts and insertions, removed and retyped elements, bad dates,
/// unknown resource types, duplicate keys, deep nesting, invalid escapes), are pulled into a real SQLite store: every
/// line is either stored or quarantined with its origin and a reason, and no reason repeats a value of the line.
/// CsCheck generates and shrinks; the seed is fixed, so the run is the same on every machine.
/// </summary>
public sealed class GeneratedBadInputTests : IAsyncLifetime
{
    private const string Seed = "0000000000J1";
    private static readonly string[] Noise = ["{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "é", "\u0000", " ", "0", "null", "1e400"];
    private static readonly string[] ResourceTypes = ["", "procedure", "Procedure ", "Foo", "Bundle", "OperationOutcome"];
    private static readonly string[] BadDates = ["2024-13-45", "yesterday", "2024-02-30T25:00:00+08:00", "0000-00-00", "2024-03-01T09:00:00+99:00", ""];
    private static readonly List<string> Lines = SampleLines();
    private ThrowAwayStore _temp = null!;
    private int _runs;

    public async Task InitializeAsync() => _temp = await ThrowAwayStore.CreateAsync("fhirbridge-gen-");

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public void Pull_GeneratedFilesOfValidAndMutatedLines_EveryLineStoredOrQuarantinedWithAReason()
    {
        var file = Gen.Select(Gen.Int[0, Lines.Count - 1], Gen.Int[0, 3], Gen.Int, (line, mutations, seed) => Mutate(Lines[line], mutations, new Random(seed)))
            .Array[1, 25];

        file.Sample(lines => PullAndAccount(lines).GetAwaiter().GetResult(), seed: Seed, iter: 250, threads: 1);
    }

    private async Task PullAndAccount(string[] lines)
    {
        // One source per generated file, so the store's accounting of each file stands alone.
        var source = "gen" + Interlocked.Increment(ref _runs);
        var input = Directory.CreateDirectory(Path.Combine(_temp.Folder, source)).FullName;
        await File.WriteAllLinesAsync(Path.Combine(input, "Input.ndjson"), lines);

        var summary = await new DirectorySource(source, input).PullAsync(_temp.Store, null, default);

        // The oracle: the one reading path, line by line (an empty line is skipped, not an input).
        var reader = new FhirInputReader();
        var results = lines.Select((line, i) => (Line: i + 1, Text: line, Results: line.Trim().Length == 0 ? [] : reader.ReadJson(line, $"Input.ndjson:{i + 1}").ToList())).ToList();
        var accepted = results.Sum(r => r.Results.Count(x => !x.IsQuarantined));
        var quarantined = results.Where(r => r.Results.Any(x => x.IsQuarantined)).Select(r => $"Input.ndjson:{r.Line}").ToHashSet(StringComparer.Ordinal);
        Assert.All(results.Where(r => r.Text.Trim().Length > 0), r => Assert.NotEmpty(r.Results));

        Assert.Equal(accepted, summary.ResourcesByType.Values.Sum());
        var held = await _temp.Store.GetQuarantineAsync(source, default);
        Assert.Equal(quarantined.Order(StringComparer.Ordinal), held.Select(q => q.Origin).Distinct().Order(StringComparer.Ordinal));
        foreach (var item in held)
        {
            Assert.False(string.IsNullOrWhiteSpace(item.Reason));
            var line = lines[int.Parse(item.Origin[(item.Origin.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture) - 1];
            foreach (var value in StringValues(line))
            {
                Assert.DoesNotContain(value, item.Reason, StringComparison.Ordinal);
            }
        }
    }

    // Values a reason must never repeat: the line's own string values that could be patient data (names, phones,
    // addresses, free text): several words long, unlike codes, ids and element names.
    private static IEnumerable<string> StringValues(string line)
    {
        foreach (var node in Parse(line)?.Nodes ?? [])
        {
            // resourceType is the reader's to name ("an unknown resource type 'Foo '" is the point of the reason).
            if (node is JsonValue value && Text(value) is { } text && text.Length >= 6 && text.Any(char.IsWhiteSpace)
                && !(value.Parent is JsonObject && value.GetPropertyName() == "resourceType"))
            {
                yield return text;
            }
        }
    }

    // The parsed line and its leaf values, or null when it is not JSON the test can walk (it may still be the
    // reader's to quarantine: duplicate keys, for one, only fail when an object is enumerated).
    private static (JsonNode? Root, List<JsonNode> Nodes)? Parse(string line)
    {
        try
        {
            var root = JsonNode.Parse(line);
            return (root, Walk(root).ToList());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    // A string value, or null (not a string, or an escape no string can hold, such as a lone surrogate).
    private static string? Text(JsonValue value)
    {
        try
        {
            return value.TryGetValue<string>(out var text) ? text : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    foreach (var n in Walk(child))
                    {
                        yield return n;
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    foreach (var n in Walk(child))
                    {
                        yield return n;
                    }
                }

                break;
            case JsonValue v:
                yield return v;
                break;
        }
    }

    private static string Mutate(string line, int mutations, Random random)
    {
        for (var i = 0; i < mutations; i++)
        {
            line = random.Next(10) switch
            {
                0 => line[..random.Next(line.Length + 1)],
                1 when line.Length > 0 => line.Remove(random.Next(line.Length), 1),
                2 => line.Insert(random.Next(line.Length + 1), Noise[random.Next(Noise.Length)]),
                3 => Structural(line, random, (o, key) => o.Remove(key)),
                4 => Structural(line, random, (o, key) => o[key] = RandomValue(random)),
                5 => Structural(line, random, (o, _) => o["resourceType"] = ResourceTypes[random.Next(ResourceTypes.Length)], rootOnly: true),
                6 => Structural(line, random, (o, key) => o[key] = BadDates[random.Next(BadDates.Length)], datesOnly: true),
                7 => line.Length > 0 && line[0] == '{' ? "{\"id\":\"dup\"," + line[1..] : line,
                8 => new string('[', 300) + line + new string(']', 300),
                _ => line.Replace("\"", "\\\"", StringComparison.Ordinal),
            };
        }

        return line;
    }

    // A change to one property of one object of the parsed line; the line as it is when it no longer parses.
    private static string Structural(string line, Random random, Action<JsonObject, string> change, bool rootOnly = false, bool datesOnly = false)
    {
        if (Parse(line) is not var (root, nodes))
        {
            return line;
        }

        var objects = (rootOnly ? [root] : nodes.Select(v => v.Parent).Concat([root])).OfType<JsonObject>().Distinct().ToList();
        var candidates = objects
            .SelectMany(o => o.Select(p => (Object: o, Key: p.Key, p.Value)))
            .Where(p => !datesOnly || (p.Value is JsonValue v && Text(v) is { Length: >= 4 } s && char.IsAsciiDigit(s[0]) && s.Contains('-', StringComparison.Ordinal)))
            .ToList();
        if (candidates.Count == 0)
        {
            return line;
        }

        var (target, key, _) = candidates[random.Next(candidates.Count)];
        try
        {
            change(target, rootOnly ? "resourceType" : key);
            return root!.ToJsonString();
        }
        catch (InvalidOperationException)
        {
            return line; // an earlier mutation left an escape no string can hold: keep the line as it is
        }
    }

    private static JsonNode? RandomValue(Random random) => random.Next(8) switch
    {
        0 => JsonValue.Create("x" + random.Next()),
        1 => JsonValue.Create(random.NextDouble() * 1e300),
        2 => JsonValue.Create(random.Next(2) == 0),
        3 => null,
        4 => new JsonArray(),
        5 => new JsonObject(),
        6 => JsonValue.Create(long.MaxValue),
        _ => new JsonObject { ["reference"] = "Patient/" + random.Next(5) },
    };

    private static List<string> SampleLines()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
        {
            dir = dir.Parent;
        }

        var sample = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("FhirBridge.sln not found"), "samples", "synthetic-hospital");
        return [.. Directory.GetFiles(sample, "*.ndjson").Order(StringComparer.Ordinal).SelectMany(f => File.ReadLines(f).Take(30))];
    }
}
