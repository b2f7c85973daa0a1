using System.Text.Json.Nodes;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// What a registry holds, in a form two registries can be compared in: every record (Provenance aside) keyed by its
/// type and business identifier, with the server's own ids and <c>meta</c> taken out and every reference to another
/// record replaced by that record's key. Two registries filled from the same data then have equal snapshots whatever
/// ids their servers assigned and however many attempts it took; a record held twice is reported, never merged.
/// </summary>
internal sealed class RegistrySnapshot
{
    /// <summary>The registry record types compared; Provenance differs between runs by design (one per change set sent, with its time).</summary>
    public static readonly string[] ComparedTypes = ["ResearchStudy", "Patient", "ResearchSubject", "Procedure", "AdverseEvent", "Observation"];

    private static readonly FhirJsonSerializer Serializer = new();

    private RegistrySnapshot(SortedDictionary<string, string> records, IReadOnlyList<string> heldTwice, int provenances, int subjectsWithoutProvenance)
    {
        Records = records;
        HeldTwice = heldTwice;
        Provenances = provenances;
        SubjectsWithoutProvenance = subjectsWithoutProvenance;
    }

    /// <summary>Each record's normalised JSON by <c>Type|identifier</c>.</summary>
    public SortedDictionary<string, string> Records { get; }

    /// <summary>The keys of records held more than once.</summary>
    public IReadOnlyList<string> HeldTwice { get; }

    /// <summary>How many Provenance resources the registry holds.</summary>
    public int Provenances { get; }

    /// <summary>ResearchSubjects no Provenance names as a target (every change set carries one).</summary>
    public int SubjectsWithoutProvenance { get; }

    /// <summary>Reads every record of the registry.</summary>
    public static async Task<RegistrySnapshot> TakeAsync(FhirTestTarget registry)
    {
        var resources = new List<Resource>();
        foreach (var type in ComparedTypes)
        {
            resources.AddRange(await registry.SearchAllAsync(type));
        }

        var keys = resources.ToDictionary(r => r.TypeName + "/" + r.Id, Key, StringComparer.Ordinal);
        var records = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var heldTwice = new List<string>();
        foreach (var resource in resources)
        {
            var key = Key(resource);
            if (!records.TryAdd(key, Normalise(resource, keys)))
            {
                heldTwice.Add(key);
            }
        }

        var provenances = (await registry.SearchAllAsync("Provenance")).Cast<Provenance>().ToList();
        var targeted = provenances.SelectMany(p => p.Target).Select(t => t.Reference).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var withoutProvenance = resources.OfType<ResearchSubject>().Count(s => !targeted.Contains("ResearchSubject/" + s.Id));
        return new RegistrySnapshot(records, heldTwice, provenances.Count, withoutProvenance);
    }

    /// <summary>Asserts that this registry holds exactly what <paramref name="expected"/> holds, each record once.</summary>
    public void AssertEquals(RegistrySnapshot expected)
    {
        Assert.True(HeldTwice.Count == 0, "held more than once: " + string.Join(", ", HeldTwice.Take(5)));
        Assert.True(expected.Records.Count > 0, "the reference registry is empty");
        var missing = expected.Records.Keys.Except(Records.Keys, StringComparer.Ordinal).ToList();
        var extra = Records.Keys.Except(expected.Records.Keys, StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{missing.Count} records missing (e.g. {string.Join(", ", missing.Take(3))}), {extra.Count} extra (e.g. {string.Join(", ", extra.Take(3))})");
        var different = expected.Records.Where(kv => Records[kv.Key] != kv.Value).Select(kv => kv.Key).ToList();
        Assert.True(different.Count == 0,
            $"{different.Count} records differ; the first, {different.FirstOrDefault()}:\nexpected {expected.Records.GetValueOrDefault(different.FirstOrDefault() ?? "")}\nactual   {Records.GetValueOrDefault(different.FirstOrDefault() ?? "")}");
        Assert.Equal(0, SubjectsWithoutProvenance);
    }

    /// <summary>How many records of a type the snapshot holds.</summary>
    public int Count(string type) => Records.Keys.Count(k => k.StartsWith(type + "|", StringComparison.Ordinal));

    private static string Key(Resource resource) => resource.TypeName + "|" + resource switch
    {
        AdverseEvent a => a.Identifier?.System + "|" + a.Identifier?.Value,
        IIdentifiable<List<Identifier>> i when i.Identifier.Count > 0 => string.Join(";", i.Identifier.Select(x => x.System + "|" + x.Value)),
        _ => throw new InvalidOperationException($"{resource.TypeName}/{resource.Id} has no identifier, so it cannot be compared"),
    };

    private static string Normalise(Resource resource, Dictionary<string, string> keys)
    {
        var node = JsonNode.Parse(Serializer.SerializeToString(resource))!.AsObject();
        node.Remove("id");
        node.Remove("meta");
        node.Remove("text");
        ReplaceReferences(node, keys);
        return node.ToJsonString();
    }

    private static void ReplaceReferences(JsonNode? node, Dictionary<string, string> keys)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (name == "reference" && value?.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        var reference = value.GetValue<string>();
                        if (reference.IndexOf("/_history/", StringComparison.Ordinal) is var history and > 0)
                        {
                            reference = reference[..history];
                        }

                        var local = reference.Split('/') is { Length: >= 2 } parts ? parts[^2] + "/" + parts[^1] : reference;
                        o[name] = keys.TryGetValue(local, out var key) ? "=>" + key : reference;
                    }
                    else
                    {
                        ReplaceReferences(value, keys);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    ReplaceReferences(item, keys);
                }

                break;
        }
    }
}
