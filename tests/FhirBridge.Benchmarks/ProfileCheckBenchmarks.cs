using System.Globalization;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using FhirBridge.Conformance;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Benchmarks;

/// <summary>
/// The profile check of a push (ChangeSetValidation: deserialize the transaction Bundle, validate every resource)
/// per change set, over real change sets: the merged registry bundle of <c>fhirbridge detect --registry-bundle</c>
/// split into one transaction per subject (each Provenance and the resources it targets). The bundle's path is
/// <c>FHIRBRIDGE_REGISTRY_BUNDLE</c>, default <c>/tmp/cs.json</c> (docs/benchmarks.md shows how to write it).
/// </summary>
[MemoryDiagnoser]
public class ProfileCheckBenchmarks
{
    private List<string> _changeSets = [];
    private List<Bundle> _parsed = [];
    private ProfileValidator _validator = null!;
    private TransactionValidation _transaction = null!;
    private static readonly FhirJsonDeserializer Deserializer = new();

    /// <summary>Splits the bundle and loads the shipped profiles.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _changeSets = Split(File.ReadAllText(Environment.GetEnvironmentVariable("FHIRBRIDGE_REGISTRY_BUNDLE") ?? "/tmp/cs.json"));
        _parsed = [.. _changeSets.Select(Deserializer.Deserialize<Bundle>)];
        _validator = new ProfileValidator(ProfileSet.Load(Path.Combine(PerPatientBenchmarks.RepositoryRoot(), "profiles")));
        _transaction = new TransactionValidation(_validator);
    }

    /// <summary>The whole check, as ChangeSetValidation does it (TransactionValidation.Validate), per change set.</summary>
    [Benchmark]
    public int Check()
    {
        var n = 0;
        foreach (var json in _changeSets)
        {
            n += _transaction.Validate(json)!.Count;
        }

        return n;
    }

    /// <summary>The strict reference path (before the cheap path): strict read, then every resource validated.</summary>
    [Benchmark]
    public int CheckStrictly() => Run(_changeSets, _validator);

    /// <summary>Only the validation, on Bundles parsed beforehand.</summary>
    [Benchmark]
    public int ValidateOnly()
    {
        var n = 0;
        foreach (var bundle in _parsed)
        {
            n += ValidateBundle(bundle, _validator);
        }

        return n;
    }

    /// <summary>Only the parse.</summary>
    [Benchmark]
    public int ParseOnly()
    {
        var n = 0;
        foreach (var json in _changeSets)
        {
            n += Deserializer.Deserialize<Bundle>(json).Entry.Count;
        }

        return n;
    }

    /// <summary>
    /// Stopwatch mode (<c>profile-check BUNDLE [ROUNDS]</c>): ms per change set for the whole check, the strict path,
    /// the strict parse alone and the validation alone, best of several rounds after a warm-up; one JSON line.
    /// </summary>
    public static string Stopwatch(string bundlePath, int rounds)
    {
        var b = new ProfileCheckBenchmarks();
        Environment.SetEnvironmentVariable("FHIRBRIDGE_REGISTRY_BUNDLE", bundlePath);
        b.Setup();
        var n = b._changeSets.Count;
        double Best(Func<int> run)
        {
            run();
            var best = double.MaxValue;
            for (var i = 0; i < rounds; i++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                run();
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds / n);
            }

            return best;
        }

        var check = Best(b.Check);
        var strict = Best(b.CheckStrictly);
        var parse = Best(b.ParseOnly);
        var validate = Best(b.ValidateOnly);
        var violations = Run(b._changeSets, b._validator);
        return string.Create(CultureInfo.InvariantCulture, $$"""{"changeSets":{{n}},"resources":{{b._parsed.Sum(x => x.Entry.Count)}},"violations":{{violations}},"checkMsPerChangeSet":{{check:F3}},"strictCheckMsPerChangeSet":{{strict:F3}},"parseMsPerChangeSet":{{parse:F3}},"validateMsPerChangeSet":{{validate:F3}}}""");
    }

    private static int Run(List<string> changeSets, ProfileValidator validator)
    {
        var n = 0;
        foreach (var json in changeSets)
        {
            n += ValidateBundle(Deserializer.Deserialize<Bundle>(json), validator);
        }

        return n;
    }

    private static int ValidateBundle(Bundle bundle, ProfileValidator validator)
    {
        var n = 0;
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is { } resource)
            {
                n += validator.Validate(resource).Count;
            }
        }

        return n;
    }

    /// <summary>One transaction per Provenance: the Provenance and the entries it targets, in the bundle's order.</summary>
    public static List<string> Split(string mergedBundleJson)
    {
        var merged = JsonNode.Parse(mergedBundleJson)!.AsObject();
        var entries = merged["entry"]!.AsArray();
        var result = new List<string>();
        foreach (var provenance in entries.Where(e => (string?)e!["resource"]?["resourceType"] == "Provenance"))
        {
            var members = provenance!["resource"]!["target"]!.AsArray().Select(t => (string?)t!["reference"]).ToHashSet(StringComparer.Ordinal);
            members.Add((string?)provenance["fullUrl"]);
            var bundle = new JsonObject
            {
                ["resourceType"] = "Bundle",
                ["type"] = "transaction",
                ["entry"] = new JsonArray([.. entries.Where(e => members.Contains((string?)e!["fullUrl"])).Select(e => e!.DeepClone())]),
            };
            result.Add(bundle.ToJsonString());
        }

        return result;
    }
}
