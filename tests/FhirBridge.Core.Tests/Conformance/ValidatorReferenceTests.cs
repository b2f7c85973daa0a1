using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// The validator reports exactly what it reported when the reference was recorded, on real registry resources and on
/// thousands of mutated copies of them: the guard for changes that make the check faster and must not change a result.
/// Fixtures/registry-resources.ndjson holds resources of a <c>detect --registry-bundle</c> run over the committed
/// sample (one or two of each shape); every copy removes one element, duplicates one array's first item, gives a
/// choice element another type or replaces one string, and Fixtures/registry-violations.txt lists every violation of every copy, path, rule and message.
/// The reference is rewritten only on purpose, when a rule changes: run with FHIRBRIDGE_WRITE_VALIDATOR_REFERENCE=1.
/// </summary>
public class ValidatorReferenceTests
{
    internal static readonly string Fixtures = Path.Combine(RepositoryPaths.Root, "tests", "FhirBridge.Core.Tests", "Conformance", "Fixtures");

    // Valid codes and shapes the invariants look for, as well as plain junk, so replacements reach every branch.
    private static readonly string[] Replacements = ["x", "", "preliminary", "entered-in-error", "NULLIFY", "follow-up-open", "1970", "2024-03-01", "urn:uuid:6f1b2c3d-0000-4000-8000-000000000009", "Procedure/1"];

    private static readonly string[] Choices = ["value", "performed", "effective", "onset", "occurrence"];

    [Fact]
    public void Validate_RegistryResourcesAndMutatedCopies_MatchTheRecordedReference()
    {
        var actual = Run();
        var file = Path.Combine(Fixtures, "registry-violations.txt");
        if (Environment.GetEnvironmentVariable("FHIRBRIDGE_WRITE_VALIDATOR_REFERENCE") == "1")
        {
            File.WriteAllText(file, actual);
        }

        var expected = File.ReadAllText(file).ReplaceLineEndings("\n").Split('\n');
        var lines = actual.Split('\n');
        for (var i = 0; i < Math.Min(expected.Length, lines.Length); i++)
        {
            Assert.True(expected[i] == lines[i], $"line {i + 1} differs:\n  expected {expected[i]}\n  actual   {lines[i]}");
        }

        Assert.Equal(expected.Length, lines.Length);
    }

    private static string Run()
    {
        // Recoverable, so a copy with a bad literal still reaches the validator (the push's strict reader would stop it).
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        var output = new StringBuilder();
        var number = 0;
        foreach (var line in File.ReadLines(Path.Combine(Fixtures, "registry-resources.ndjson")))
        {
            number++;
            var original = JsonNode.Parse(line)!;
            Check(deserializer, output, $"{number} original", original);
            foreach (var (name, copy) in Mutations(original))
            {
                Check(deserializer, output, $"{number} {name}", copy);
            }
        }

        return output.ToString();
    }

    private static void Check(FhirJsonDeserializer deserializer, StringBuilder output, string name, JsonNode json)
    {
        output.Append("## ").Append(name).Append('\n');
        if (ReadRecoverably(deserializer, json) is not { } resource)
        {
            output.Append("unreadable\n");
            return;
        }

        foreach (var v in RegistryProfiles.Validate(resource))
        {
            output.Append(v.ResourceType).Append(" | ").Append(v.Path).Append(" | ").Append(v.Rule).Append(" | ").Append(v.Message).Append('\n');
        }
    }

    /// <summary>
    /// Every resource of the reference fixture, then each of its mutated copies, as Firely's recoverable reader gives
    /// them (its partial result where reading failed part-way; a copy it cannot read at all is left out), labelled
    /// with the resource type and the mutation ("original" for the resource itself).
    /// </summary>
    internal static IEnumerable<(string Label, bool IsOriginal, Resource Resource)> MutatedResources()
    {
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        foreach (var line in File.ReadLines(Path.Combine(Fixtures, "registry-resources.ndjson")))
        {
            var original = JsonNode.Parse(line)!;
            foreach (var (name, copy) in Mutations(original).Prepend(("original", original)))
            {
                if (ReadRecoverably(deserializer, copy) is not { } resource)
                {
                    continue;
                }

                yield return ($"{(string?)original["resourceType"]} {name}", name == "original", resource);
            }
        }
    }

    // What Firely's recoverable reader gives: the resource, its partial result where reading failed part-way, or
    // null when it cannot read the copy at all.
    private static Resource? ReadRecoverably(FhirJsonDeserializer deserializer, JsonNode json)
    {
        try
        {
            return deserializer.DeserializeResource(json.ToJsonString());
        }
        catch (DeserializationFailedException e) when (e.PartialResult is Resource partial)
        {
            return partial;
        }
        catch (Exception e) when (e is DeserializationFailedException or FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Every copy, named by what it changed: one mutation per copy, in document order.</summary>
    internal static IEnumerable<(string Name, JsonNode Copy)> Mutations(JsonNode original)
    {
        var paths = new List<(string Path, JsonNode Node)>();
        Collect(original, "", paths);
        foreach (var (path, node) in paths)
        {
            yield return ($"del {path}", Mutate(original, path, (parent, key) => Remove(parent, key)));
            if (node is JsonArray { Count: > 0 })
            {
                yield return ($"dup {path}", Mutate(original, path, (parent, key) => ((JsonArray)Get(parent, key)!).Add(((JsonArray)Get(parent, key)!)[0]!.DeepClone())));
            }

            // A choice element of another type (performedPeriod becomes performedString): the profile's type rule.
            var name = path[(path.LastIndexOf('/') + 1)..];
            if (Choices.FirstOrDefault(c => name.Length > c.Length && name.StartsWith(c, StringComparison.Ordinal) && char.IsUpper(name[c.Length])) is { } choice && name != choice + "String")
            {
                yield return ($"retype {path}", Mutate(original, path, (parent, key) =>
                {
                    Remove(parent, key);
                    parent[choice + "String"] = "x";
                }));
            }

            if (node is JsonValue value && value.TryGetValue<string>(out var text))
            {
                foreach (var replacement in Replacements.Where(r => r != text))
                {
                    yield return ($"set {path}={replacement}", Mutate(original, path, (parent, key) => Set(parent, key, JsonValue.Create(replacement))));
                }
            }
        }
    }

    private static void Collect(JsonNode node, string path, List<(string, JsonNode)> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    if (child is not null && !(path.Length == 0 && key == "resourceType"))
                    {
                        paths.Add(($"{path}/{key}", child));
                        Collect(child, $"{path}/{key}", paths);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    paths.Add(($"{path}/{i}", array[i]!));
                    Collect(array[i]!, $"{path}/{i}", paths);
                }

                break;
        }
    }

    private static JsonNode Mutate(JsonNode original, string path, Action<JsonNode, string> change)
    {
        var copy = original.DeepClone();
        var segments = path.Split('/')[1..];
        var parent = copy;
        foreach (var segment in segments[..^1])
        {
            parent = Get(parent, segment)!;
        }

        change(parent, segments[^1]);
        return copy;
    }

    private static JsonNode? Get(JsonNode parent, string key) => parent is JsonArray array ? array[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] : parent[key];

    private static void Set(JsonNode parent, string key, JsonNode value)
    {
        if (parent is JsonArray array)
        {
            array[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
        else
        {
            parent[key] = value;
        }
    }

    private static void Remove(JsonNode parent, string key)
    {
        if (parent is JsonArray array)
        {
            array.RemoveAt(int.Parse(key, System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            ((JsonObject)parent).Remove(key);
        }
    }
}
