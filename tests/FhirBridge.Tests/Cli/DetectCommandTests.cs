using System.Text.Json;

namespace FhirBridge.Tests.Cli;

/// <summary><c>fhirbridge detect</c> end to end: the report contract, quarantine, errors and what must never leave.</summary>
public sealed class DetectCommandTests : IDisposable
{
    private const string AsOf = "2024-12-31T00:00:00+08:00";
    private const string Key = "test-key-0123456789abcdef";
    private static readonly Dictionary<string, string> WithKey = new() { ["FhirBridge__Pseudonymization__Key"] = Key };

    private readonly string _out = Directory.CreateTempSubdirectory("fhirbridge-e2e-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static string HospitalA => Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a");

    private string Out(string name) => Path.Combine(_out, name);

    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element, Readable);

    [Fact]
    public void Detect_HospitalA_WritesTheReportInTheContractShape()
    {
        var run = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf, "--report", Out("report.json"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var expected = """
            {
              "study": "NCT05995327",
              "asOf": "2024-12-31T00:00:00+08:00",
              "subjects": [
                { "patient": "Patient/p1", "index": "Procedure/op1", "indexStart": "2024-03-01T09:00:00+08:00",
                  "cohort": "degenerative", "outcome": "unplanned-return",
                  "returns": [ { "procedure": "Procedure/op2", "daysAfterIndex": 30 } ] },
                { "patient": "Patient/p2", "index": "Procedure/op6", "indexStart": "2024-12-20T08:00:00+08:00",
                  "cohort": "unclassified", "outcome": "follow-up-open", "returns": [] }
              ],
              "excluded": [
                { "procedure": "Procedure/op3", "index": "Procedure/op1", "reason": "not-in-theatre" },
                { "procedure": "Procedure/op4", "index": null, "reason": "other-department" },
                { "procedure": "Procedure/op5", "index": null, "reason": "age-out-of-range" }
              ]
            }
            """;
        using var actual = JsonDocument.Parse(File.ReadAllText(Out("report.json")));
        using var wanted = JsonDocument.Parse(expected);
        foreach (var property in new[] { "study", "asOf", "subjects", "excluded" })
        {
            Assert.Equal(Compact(wanted.RootElement.GetProperty(property)), Compact(actual.RootElement.GetProperty(property)));
        }

        var quarantined = actual.RootElement.GetProperty("quarantined").EnumerateArray().Select(q => q.GetProperty("source").GetString()).ToList();
        Assert.Equal(["Procedure.ndjson:8", "Procedure.ndjson:9"], quarantined);
    }

    [Fact]
    public void Detect_HospitalA_PrintsASummary()
    {
        var run = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("quarantined 2", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("unplanned-return 1, no-return 0, follow-up-open 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("per operation 100.00% (1/1), per patient 100.00% (1/1)", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_MappingLog_RecordsEveryDecisionWithItsClauseAndThePrefixUsed()
    {
        var run = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf, "--log", Out("log.ndjson"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var entries = File.ReadAllLines(Out("log.ndjson")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string? Get(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;

        Assert.All(entries, e => Assert.Equal(AsOf, Get(e, "time")));
        Assert.Contains(entries, e => Get(e, "source") == "Procedure/op2" && Get(e, "decision") == "counted" && Get(e, "index") == "Procedure/op1");
        Assert.Contains(entries, e => Get(e, "source") == "Procedure/op3" && Get(e, "decision") == "excluded" && Get(e, "rule") == "verdict.1-in-theatre");
        Assert.Contains(entries, e => Get(e, "source") == "Procedure/op5" && Get(e, "decision") == "prefix-match" && Get(e, "prefix") == "81.07");
        Assert.Contains(entries, e => Get(e, "source") == "Condition/c1" && Get(e, "decision") == "prefix-match" && Get(e, "prefix") == "M51");
        Assert.Contains(entries, e => Get(e, "decision") == "unmapped" && e.GetProperty("codes")[0].GetString() == "http://hospital.example/dx|LOCAL-77");
        Assert.Contains(entries, e => Get(e, "source") == "Procedure.ndjson:9" && Get(e, "decision") == "quarantined");
        Assert.Contains(entries, e => Get(e, "source") == "Procedure/op1/_history/1" && Get(e, "decision") == "index");
    }

    [Fact]
    public void Detect_Outputs_NeverCarryNamesAddressesPhonesOrHospitalIdentifiers()
    {
        var run = Fhirbridge.Run(WithKey, "detect", "--input", HospitalA, "--as-of", AsOf,
            "--report", Out("report.json"), "--log", Out("log.ndjson"), "--registry-bundle", Out("bundle.json"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var everything = string.Join("\n", run.Stdout, run.Stderr, File.ReadAllText(Out("report.json")), File.ReadAllText(Out("log.ndjson")), File.ReadAllText(Out("bundle.json")));
        foreach (var phi in new[] { "Zhangphi", "Weiphi", "Liphi", "5555-0101", "Haidian", "MRN-4471", "hospital.example/mrn", "1971-06-15", "tolerated" })
        {
            Assert.DoesNotContain(phi, everything, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Detect_RegistryBundle_IsATransactionOfConditionalUpsertsWithStablePseudonyms()
    {
        Assert.Equal(0, Fhirbridge.Run(WithKey, "detect", "--input", HospitalA, "--as-of", AsOf, "--registry-bundle", Out("b1.json")).ExitCode);
        Assert.Equal(0, Fhirbridge.Run(WithKey, "detect", "--input", HospitalA, "--as-of", AsOf, "--registry-bundle", Out("b2.json")).ExitCode);
        var otherKey = new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = "another-key-0123456789" };
        Assert.Equal(0, Fhirbridge.Run(otherKey, "detect", "--input", HospitalA, "--as-of", AsOf, "--registry-bundle", Out("b3.json")).ExitCode);

        using var bundle = JsonDocument.Parse(File.ReadAllText(Out("b1.json")));
        Assert.Equal("transaction", bundle.RootElement.GetProperty("type").GetString());
        var entries = bundle.RootElement.GetProperty("entry").EnumerateArray().ToList();
        Assert.All(entries, e => Assert.Equal("PUT", e.GetProperty("request").GetProperty("method").GetString()));
        var types = entries.Select(e => e.GetProperty("resource").GetProperty("resourceType").GetString()).ToList();

        // Every record is a conditional upsert on its identifier; a Provenance (no identifier in R4) is written at
        // its deterministic id, one per subject change set.
        Assert.All(
            entries.Where(e => e.GetProperty("resource").GetProperty("resourceType").GetString() != "Provenance"),
            e => Assert.Contains("?identifier=", e.GetProperty("request").GetProperty("url").GetString(), StringComparison.Ordinal));
        Assert.Equal(2, types.Count(t => t == "Provenance"));
        Assert.Equal(1, types.Count(t => t == "ResearchStudy"));
        Assert.Equal(2, types.Count(t => t == "Patient"));
        Assert.Equal(2, types.Count(t => t == "ResearchSubject"));
        Assert.Equal(4, types.Count(t => t == "Procedure")); // op1 + its adjunct, the return op2, and op6
        Assert.Equal(1, types.Count(t => t == "AdverseEvent")); // the return op2
        Assert.Equal(2, types.Count(t => t == "Observation")); // the two outcomes (the fixture has no risk factors)

        var patient = entries.First(e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "Patient").GetProperty("resource");
        Assert.Equal("1971", patient.GetProperty("birthDate").GetString());
        Assert.Equal(File.ReadAllText(Out("b1.json")), File.ReadAllText(Out("b2.json")));
        Assert.NotEqual(File.ReadAllText(Out("b1.json")), File.ReadAllText(Out("b3.json")));
    }

    [Fact]
    public void Detect_RegistryBundleWithoutKey_FailsNamingTheSetting()
    {
        var run = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf, "--registry-bundle", Out("b.json"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("FhirBridge__Pseudonymization__Key", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Out("b.json")));
    }

    [Theory]
    [InlineData("--input", "/nonexistent/dir", "input not found")]
    [InlineData("--as-of", "yesterday", "--as-of")]
    [InlineData("--time-zone", "Mars/Olympus", "--time-zone")]
    [InlineData("--mappings", "/nonexistent/maps", "mapping directory not found")]
    [InlineData("--max-age", "10", "Study:MinAge")]
    public void Detect_BadArgument_ExitsNonZeroWithOneLineNamingTheProblem(string option, string value, string expected)
    {
        string[] args = option == "--input"
            ? ["detect", "--input", value]
            : ["detect", "--input", HospitalA, option, value];

        var run = Fhirbridge.Run(args);

        Assert.NotEqual(0, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_InvalidMappingFile_ExitsNonZeroNamingTheFile()
    {
        var maps = Directory.CreateDirectory(Out("maps")).FullName;
        File.WriteAllText(Path.Combine(maps, "ConceptMap-local.json"), """{"resourceType":"ConceptMap","status":"active","group":[{"source":"http://x","target":"http://fhirbridge.org/fhir/CodeSystem/category","element":[{"code":"A","target":[{"code":"spine","equivalence":"wider"}]}]}]}""");

        var run = Fhirbridge.Run("detect", "--input", HospitalA, "--mappings", maps);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("ConceptMap-local.json", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("unknown category 'spine'", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_ConfiguredTimeZone_DecidesTheLocalDates()
    {
        // op2 is 2024-03-31T15:30Z: day 30 at +08:00 (counted), but 2024-03-31 11:30 in New York vs an index on
        // 2024-02-29 20:00 there: still day 31 -> not a candidate. The zone is an input, not the machine's.
        var run = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf, "--time-zone", "America/New_York", "--report", Out("ny.json"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(Out("ny.json")));
        var p1 = report.RootElement.GetProperty("subjects")[0];
        Assert.Equal("2024-02-29T20:00:00-05:00", p1.GetProperty("indexStart").GetString());
        Assert.Equal("no-return", p1.GetProperty("outcome").GetString());
    }

    [Fact]
    public void Detect_MachineTimeZone_DoesNotChangeTheReport()
    {
        Assert.Equal(0, Fhirbridge.Run(new Dictionary<string, string> { ["TZ"] = "UTC" }, "detect", "--input", HospitalA, "--as-of", AsOf, "--report", Out("utc.json")).ExitCode);
        Assert.Equal(0, Fhirbridge.Run(new Dictionary<string, string> { ["TZ"] = "Pacific/Kiritimati" }, "detect", "--input", HospitalA, "--as-of", AsOf, "--report", Out("kiri.json")).ExitCode);

        Assert.Equal(File.ReadAllText(Out("utc.json")), File.ReadAllText(Out("kiri.json")));
    }

    [Fact]
    public void Detect_HospitalMappingsAndAlias_MapLocalCodesWithoutRecompiling()
    {
        var input = Path.Combine(Fhirbridge.FixturesDirectory, "hospital-b");
        var hospitalMappings = Path.Combine(AppContext.BaseDirectory, "hospital-mappings");

        var without = Fhirbridge.Run("detect", "--input", input, "--as-of", AsOf, "--report", Out("without.json"));
        var with = Fhirbridge.Run("detect", "--input", input, "--as-of", AsOf, "--report", Out("with.json"),
            "--mappings", hospitalMappings, "--icd10-alias", "http://hospital.example/fhir/sid/icd10-gb");

        Assert.True(without.ExitCode == 0 && with.ExitCode == 0, without.Stderr + with.Stderr);
        using var plain = JsonDocument.Parse(File.ReadAllText(Out("without.json")));
        Assert.Empty(plain.RootElement.GetProperty("subjects").EnumerateArray());

        // SPX-01 maps to spine-surgery, STG-02 to staged-procedure, and M4806 under the alias to M48.0 degenerative.
        using var mapped = JsonDocument.Parse(File.ReadAllText(Out("with.json")));
        var subject = Assert.Single(mapped.RootElement.GetProperty("subjects").EnumerateArray().ToList());
        Assert.Equal("Procedure/local1", subject.GetProperty("index").GetString());
        Assert.Equal("degenerative", subject.GetProperty("cohort").GetString());
        var excluded = Assert.Single(mapped.RootElement.GetProperty("excluded").EnumerateArray().ToList());
        Assert.Equal("planned", excluded.GetProperty("reason").GetString());
    }

    [Fact]
    public void Detect_ConfigFile_GivesTheDefaultsAndOptionsWin()
    {
        var config = Out("hospital.json");
        File.WriteAllText(config, """{ "FhirBridge": { "Study": { "MaxAge": 63 }, "Pseudonymization": { "KeyFile": "key.txt" } } }""");
        File.WriteAllText(Out("key.txt"), Key);

        var fromFile = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf, "--config", config, "--report", Out("a.json"), "--registry-bundle", Out("b.json"));
        var overridden = Fhirbridge.Run("detect", "--input", HospitalA, "--as-of", AsOf, "--config", config, "--max-age", "80", "--report", Out("c.json"));

        Assert.True(fromFile.ExitCode == 0, fromFile.Stderr);
        Assert.True(overridden.ExitCode == 0, overridden.Stderr);
        Assert.Contains("index age-out-of-range 2", fromFile.Stdout, StringComparison.Ordinal); // p2 is 64 on op6's date
        Assert.True(File.Exists(Out("b.json")), "the key came from the settings file's KeyFile, relative to it");
        Assert.Contains("index age-out-of-range 1,", overridden.Stdout, StringComparison.Ordinal);
    }
}
