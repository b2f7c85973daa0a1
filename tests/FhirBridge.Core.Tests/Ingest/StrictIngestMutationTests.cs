using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Xunit.Abstractions;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// Property: whatever a line looks like, the fast path of ingest accepts it only when the Firely path accepts it with
/// an equal result, and <see cref="FhirInputReader.ReadJson"/> always gives the Firely result. The lines are seeded
/// mutations of the committed sample aimed at the fast path's edges: wrong JSON types for primitives, invalid and
/// borderline dates, times, instants, ids and codes, missing mandatory elements, unknown, misspelt and duplicate
/// properties, extensions and primitive extensions, nested unknown content, choice elements with other suffixes,
/// empty strings, arrays and objects, padded text, exotic numbers and escaped strings. CsCheck generates and
/// shrinks; the seed is fixed, so the run is the same on every machine.
/// </summary>
public sealed partial class StrictIngestMutationTests(ITestOutputHelper output)
{
    private const string Seed = "0000000000K3";

    private static readonly List<string> Lines =
        [.. StrictResourceReaderTests.SampleLines(60).Select(l => l.Text), .. StrictResourceReaderTests.AcceptedLines];

    private static readonly string[] Dates =
    [
        "2024", "2024-02", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "1900-02-29", "2000-02-29",
        "2024-02-29T10:00:00+08:00", "2024-03-01T10:00:00", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.123456789+08:00",
        "2024-03-01T10:00:00.1234567890+08:00", "2024-03-01T24:00:00+08:00", "2024-03-01T23:59:60+08:00", "2024-03-01T10:00+08:00",
        "2024-03-01T10:00:00+14:00", "2024-03-01T10:00:00+14:01", "2024-03-01T10:00:00-12:00", "2024-03-01T10:00:00+1:00",
        "2024-03-01t10:00:00+08:00", "2024-03-01 10:00:00+08:00", "0001-01-01", "0000-01-01", "9999-12-31T23:59:59+14:00",
        "2024-03-01T10:00:00+08:00 ", " 2024-03-01", "+2024-03-01", "2024-3-1", "20240301", "2024-03-01T10:00:00.+08:00",
        "2024-03-01T10:00:00-00:00", "2024-03-01T10:00:00z", "2024-03-01T10:00:00.5Z", "2024-02Z", "2024-02-01Z", "10:00:00",
        "2024-03-01T10:00:00+08:00\n", "１９９０-01-01",
    ];

    private static readonly JsonNode?[] Values =
    [
        "", " ", "x", " x", "x ", "a  b", "a\tb", "a\nb", "\u00a0x", "x\u2003", "ünï", new string('a', 64), new string('a', 65), "a_b", "a.b-c", "a b",
        0, 1, -1, 2, 1.5, -0.0, 2147483647, 2147483648L, long.MaxValue, 1e300, true, false, null,
        new JsonObject(), new JsonArray(), new JsonArray("x"), new JsonArray(JsonValue.Create(1)), new JsonObject { ["x"] = 1 },
        new JsonObject { ["reference"] = "Patient/p1" }, new JsonObject { ["reference"] = "Group/g" }, new JsonObject { ["display"] = "d" },
        new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["code"] = "x" }) }, new JsonObject { ["text"] = "t" },
        new JsonObject { ["start"] = "2024-01-01" }, new JsonObject { ["value"] = 1, ["unit"] = "u" },
        "http://x y", "http://x", "urn:oid:1.2.3", "urn:oid:x", "urn:uuid:0a1b2c3d-0000-0000-0000-000000000000", "urn:uuid:abc", "#x", "Patient/p1",
        "Final", "final", "entered-in-error", "amended", "preliminary", "female", "other", "unknown", "completed", "not-done", "order", "plan",
        "active", "finished", "in-progress", "planned", "instance", "kind", "<", ">=", "ad",
    ];

    private static readonly string[] Suffixes =
        ["DateTime", "Instant", "Period", "String", "Age", "Range", "Quantity", "Boolean", "Integer", "dateTime", "", "Timing", "CodeableConcept", "Reference", "Time", "Ratio", "Date"];

    private static readonly string[] ChoicePrefixes = ["effective", "performed", "value", "onset", "deceased", "multipleBirth", "abatement", "occurrence", "asNeeded"];

    private static readonly (string Name, JsonNode? Value)[] Additions =
    [
        ("extension", new JsonArray(new JsonObject { ["url"] = "http://x", ["valueString"] = "y" })),
        ("modifierExtension", new JsonArray(new JsonObject { ["url"] = "http://x", ["valueBoolean"] = true })),
        ("_status", new JsonObject { ["id"] = "a" }),
        ("_id", new JsonObject { ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://x", ["valueCode"] = "y" }) }),
        ("fhir_comments", new JsonArray("x")),
        ("id", "elem-1"),
        ("id", ""),
        ("text", new JsonObject { ["status"] = "generated", ["div"] = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" }),
        ("contained", new JsonArray(new JsonObject { ["resourceType"] = "Practitioner", ["id"] = "c1" })),
        ("foo", new JsonObject { ["bar"] = 1 }),
        ("resourceType", "Patient"),
        ("display", "x"),
        ("userSelected", true),
        ("version", "1"),
        ("period", new JsonObject { ["start"] = "2024-01-01" }),
        ("implicitRules", "http://x"),
        ("language", "en-US"),
        ("language", "en US"),
        ("note", new JsonArray(new JsonObject { ["text"] = "n" })),
        ("note", new JsonArray(new JsonObject { ["authorString"] = "a" })),
        ("identifier", new JsonArray(new JsonObject { ["system"] = "http://x", ["value"] = "1" })),
        ("identifier", new JsonArray(new JsonObject { ["system"] = "http://x", ["value"] = "1", ["assigner"] = new JsonObject { ["display"] = "a" } })),
        ("issued", "2024-03-01T10:00:00Z"),
        ("issued", "2024-03-01"),
        ("priority", "urgent"),
        ("priority", "Urgent"),
    ];

    private static readonly string[] ResourceTypes = ["Bundle", "Patient", "Observation", "Basic", "Practitioner", "patient", "Foo", "Resource", "DomainResource", "Parameters", "Binary"];

    private static readonly string[] Numbers = ["1e1", "1.0", "01", "-0", "1E+2", "1.50", "0.0", "-1", "1.", ".5", "1e-2", "12345678901234567890123", "79228162514264337593543950336", "2147483648", "0.1000000000000000000000000001"];

    private static readonly string[] Noise = ["{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0041", "\\/", "\\ud800", "é", " ", "0", "null", "\t"];

    [Fact]
    public void TryRead_SeededMutationsOfRealLines_AcceptsOnlyWhatFirelyAcceptsAndGivesItsResult()
    {
        var (tried, fast, firely) = (0, 0, 0);
        var mutated = Gen.Select(Gen.Int[0, Lines.Count - 1], Gen.Int[1, 3], Gen.Int, (line, count, seed) => Mutate(Lines[line], count, new Random(seed)));

        mutated.Sample(
            json =>
            {
                tried++;
                if (StrictIngestEquivalence.AssertEquivalent(json))
                {
                    fast++;
                }

                if (new FhirInputReader().ReadJsonWithFirely(json, "x").All(r => !r.IsQuarantined))
                {
                    firely++;
                }
            },
            seed: Seed,
            iter: 6000,
            threads: 1);

        output.WriteLine($"the fast path took {fast} of {tried} mutated lines; the Firely path accepted {firely}");

        // The mutations must reach both sides of the edge: many lines the fast path proves, and many more it declines.
        Assert.True(fast > tried / 10, $"the fast path took {fast} of {tried} ({firely} valid)");
        Assert.True(tried - fast > tried / 3, $"the fast path took {fast} of {tried} ({firely} valid)");
    }

    [Fact]
    public void TryRead_EveryDateAndValueInEveryPrimitiveOfTheSample_AcceptsOnlyWhatFirelyAccepts()
    {
        // Exhaustive rather than random: each listed date or value put in place of each primitive of a few lines.
        var (tried, fast, firely) = (0, 0, 0);
        foreach (var line in StrictResourceReaderTests.SampleLines(1).Select(l => l.Text).Concat(StrictResourceReaderTests.AcceptedLines.Take(8)))
        {
            var root = JsonNode.Parse(line)!;
            var slots = Walk(root).Where(n => n is JsonValue && n.Parent is JsonObject && n.GetPropertyName() != "resourceType").Select(n => n.GetPath()).ToList();
            foreach (var path in slots)
            {
                var current = Find(root, path);
                var candidates = IsDateLike(current) ? Dates.Select(d => (JsonNode?)d) : Values.Where((_, i) => i % 3 == path.Length % 3);
                foreach (var value in candidates.Concat(NearMisses(current)))
                {
                    var copy = JsonNode.Parse(line)!;
                    var target = Find(copy, path)!;
                    ((JsonObject)target.Parent!)[target.GetPropertyName()] = value?.DeepClone();
                    var json = copy.ToJsonString();
                    tried++;
                    fast += StrictIngestEquivalence.AssertEquivalent(json) ? 1 : 0;
                    firely += new FhirInputReader().ReadJsonWithFirely(json, "x").All(r => !r.IsQuarantined) ? 1 : 0;
                }
            }
        }

        output.WriteLine($"the fast path took {fast} of {tried} lines; the Firely path accepted {firely}");
        Assert.True(fast > 100, $"the fast path took {fast}");
    }

    // The value as it is, and just off: other case, padded, one character more or less (codes, ids, dates).
    private static IEnumerable<JsonNode?> NearMisses(JsonNode? node)
    {
        if (node is not JsonValue value || !value.TryGetValue<string>(out var text) || text.Length == 0)
        {
            yield break;
        }

        yield return text;
        yield return char.ToUpperInvariant(text[0]) + text[1..];
        yield return text.ToUpperInvariant();
        yield return text + " ";
        yield return text + "x";
        yield return text[..^1];
        yield return text.Replace('-', '_');
    }

    private static string Mutate(string line, int count, Random random)
    {
        for (var i = 0; i < count; i++)
        {
            line = random.Next(16) switch
            {
                0 or 1 => Structural(line, random, (o, key) => o[key] = Pick(random, IsDateLike(o[key]) ? [.. Dates.Select(d => (JsonNode?)d)] : Values)?.DeepClone()),
                2 => Structural(line, random, (o, key) => o.Remove(key)),
                3 => Structural(line, random, (o, key) => Rename(o, key, ChoiceRename(key, random) ?? key)),
                4 => Structural(line, random, (o, key) => Rename(o, key, random.Next(3) switch { 0 => "_" + key, 1 => char.ToUpperInvariant(key[0]) + key[1..], _ => key + "x" })),
                5 or 6 => Structural(line, random, (o, _) => AddProperty(o, Additions[random.Next(Additions.Length)])),
                7 => Structural(line, random, (o, key) => o[key] = o[key] is JsonArray { Count: > 0 } a ? a[0]!.DeepClone() : new JsonArray(o[key]?.DeepClone())),
                8 => Structural(line, random, (o, key) => ArrayEdit(o, key, random)),
                9 => Structural(line, random, (o, _) => o["resourceType"] = ResourceTypes[random.Next(ResourceTypes.Length)], rootOnly: true),
                10 => DuplicateProperty(line, random),
                11 => EscapeOrPad(line, random),
                12 => ExoticNumber(line, random),
                13 => line.Length > 0 && line[0] == '{' ? random.Next(3) switch
                {
                    0 => MoveResourceTypeLast(line),
                    1 => line + (random.Next(2) == 0 ? " {}" : "x"),
                    _ => "\uFEFF" + line,
                } : line,
                14 => line.Insert(random.Next(line.Length + 1), Noise[random.Next(Noise.Length)]),
                _ => line.Length > 1 ? line.Remove(random.Next(line.Length), 1) : line,
            };
        }

        return line;
    }

    private static JsonNode? Pick(Random random, JsonNode?[] values) => values[random.Next(values.Length)];

    private static bool IsDateLike(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length >= 4 && char.IsAsciiDigit(s[0]) && s.Contains('-', StringComparison.Ordinal);

    private static string? ChoiceRename(string key, Random random) =>
        ChoicePrefixes.FirstOrDefault(p => key.StartsWith(p, StringComparison.Ordinal)) is { } prefix ? prefix + Suffixes[random.Next(Suffixes.Length)] : null;

    private static void Rename(JsonObject o, string key, string name)
    {
        if (name == key || o.ContainsKey(name))
        {
            return;
        }

        var value = o[key];
        o.Remove(key);
        o[name] = value;
    }

    private static void AddProperty(JsonObject o, (string Name, JsonNode? Value) addition) => o[addition.Name] = addition.Value?.DeepClone();

    private static void ArrayEdit(JsonObject o, string key, Random random)
    {
        if (o[key] is not JsonArray array)
        {
            return;
        }

        switch (random.Next(5))
        {
            case 0: array.Add(null); break;
            case 1: array.Add(array.Count > 0 ? array[0]?.DeepClone() : "x"); break;
            case 2: array.Add(new JsonObject()); break;
            case 3: array.Clear(); break;
            default: o[key] = new JsonArray(array.DeepClone()); break;
        }
    }

    // A change to one property of one object of the parsed line; the line as it is when it does not parse.
    private static string Structural(string line, Random random, Action<JsonObject, string> change, bool rootOnly = false)
    {
        try
        {
            var root = JsonNode.Parse(line);
            var objects = (rootOnly ? Walk(root).Take(1) : Walk(root)).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
            if (objects.Count == 0)
            {
                return line;
            }

            var target = objects[random.Next(objects.Count)];
            var keys = target.Select(p => p.Key).ToList();
            change(target, keys[random.Next(keys.Count)]);
            return root!.ToJsonString();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return line; // not JSON, a duplicate key in the parsed line, or an escape no string can hold
        }
    }

    private static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        if (node is null)
        {
            yield break;
        }

        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value).OfType<JsonNode>(),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var n in Walk(child))
            {
                yield return n;
            }
        }
    }

    private static JsonNode? Find(JsonNode root, string path) => Walk(root).FirstOrDefault(n => n.GetPath() == path);

    // Repeats one "name":value pair of the text inside its object (a duplicate JSON property).
    private static string DuplicateProperty(string line, Random random)
    {
        var pairs = PlainPair().Matches(line);
        if (pairs.Count == 0)
        {
            return line;
        }

        var pair = pairs[random.Next(pairs.Count)];
        var copy = random.Next(2) == 0 ? pair.Value : $"\"{pair.Groups[1].Value}\":\"other\"";
        return line.Insert(pair.Index + pair.Length, "," + copy);
    }

    // Escapes a letter of a string value (\u0041 for A), pads a value with white space, or escapes a slash.
    private static string EscapeOrPad(string line, Random random)
    {
        var pairs = PlainPair().Matches(line);
        if (pairs.Count == 0)
        {
            return line;
        }

        var value = pairs[random.Next(pairs.Count)].Groups[2];
        if (value.Length == 0)
        {
            return line;
        }

        var at = value.Index + random.Next(value.Length);
        return random.Next(4) switch
        {
            0 => line[..at] + "\\u" + ((int)line[at]).ToString("x4", CultureInfo.InvariantCulture) + line[(at + 1)..],
            1 => line.Insert(value.Index, " "),
            2 => line.Insert(value.Index + value.Length, "\\n"),
            _ => line.Replace("/", "\\/", StringComparison.Ordinal),
        };
    }

    private static string ExoticNumber(string line, Random random)
    {
        var numbers = NumberValue().Matches(line);
        if (numbers.Count == 0)
        {
            return line.Replace("\"rank\":1", "\"rank\":" + Numbers[random.Next(Numbers.Length)], StringComparison.Ordinal);
        }

        var number = numbers[random.Next(numbers.Count)].Groups[1];
        return line[..number.Index] + Numbers[random.Next(Numbers.Length)] + line[(number.Index + number.Length)..];
    }

    private static string MoveResourceTypeLast(string line)
    {
        var match = ResourceTypePair().Match(line);
        return match.Success ? "{" + line[(match.Index + match.Length)..].TrimEnd().TrimEnd('}') + "," + match.Value.TrimEnd(',') + "}" : line;
    }

    [GeneratedRegex("\"([A-Za-z]+)\":\"([^\"\\\\]*)\"")]
    private static partial Regex PlainPair();

    [GeneratedRegex(":(-?[0-9][0-9.eE+-]*)")]
    private static partial Regex NumberValue();

    [GeneratedRegex("^\\{\"resourceType\":\"[A-Za-z]+\",")]
    private static partial Regex ResourceTypePair();
}
