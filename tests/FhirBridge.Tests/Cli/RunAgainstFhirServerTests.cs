using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// <c>fhirbridge run --once</c> against a FHIR server over real HTTP: the in-process test server, or the external one
/// named by <c>FHIRBRIDGE_TEST_FHIR_URL</c>. A REST pull and a Bulk export judge the sample exactly as <c>detect</c>
/// judges its files; an incremental pull sees only the change and retracts a withdrawn return.
/// </summary>
public sealed class RunAgainstFhirServerTests : IAsyncLifetime
{
    private const string Key = "test-key-0123456789abcdef";
    private const string AsOf = "2026-01-01T00:00:00+08:00";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-http-").FullName;
    private FhirTestTarget _target = null!;

    private static string Sample => Path.Combine(Fhirbridge.RepositoryRoot, "samples", "synthetic-hospital");

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        _target = await FhirTestTarget.CreateAsync();
        await _target.SeedNdjsonAsync(Sample);
    }

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        await _target.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string In(string name) => Path.Combine(_dir, name);

    private string Config(string kind) =>
        WriteFile("appsettings.json", $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital", "Kind": "{{kind}}", "BaseUrl": "{{_target.BaseUrl}}", "TimeZone": "Asia/Shanghai", "PageSize": 100 } ],
                "Registry": { "Path": "registry" }, "Storage": { "ConnectionString": "state/state.db" } } }
            """);

    private string WriteFile(string name, string text)
    {
        File.WriteAllText(In(name), text);
        return In(name);
    }

    private static Fhirbridge.Result RunOnce(string config, string report) =>
        Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = Key }, "run", "--once", "--config", config, "--as-of", AsOf, "--report", report);

    private static HashSet<string> SampleSubjects(string reportFile)
    {
        var samplePatients = File.ReadLines(Path.Combine(Sample, "Patient.ndjson")).Select(l => "Patient/" + JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToHashSet(StringComparer.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(reportFile));
        return report.RootElement.GetProperty("subjects").EnumerateArray()
            .Where(s => samplePatients.Contains(s.GetProperty("patient").GetString()!))
            .Select(s => s.GetRawText())
            .ToHashSet(StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("Rest")]
    [InlineData("BulkExport")]
    public void RunOnce_PullFromServer_JudgesLikeDetectOverTheSameFiles(string kind)
    {
        var run = RunOnce(Config(kind), In("pulled.json"));
        var detect = Fhirbridge.Run("detect", "--input", Sample, "--as-of", AsOf, "--time-zone", "Asia/Shanghai", "--report", In("files.json"));

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(0, detect.ExitCode);
        var expected = SampleSubjects(In("files.json"));
        Assert.True(expected.Count > 400, "the sample should give hundreds of subjects");
        Assert.Equal(expected.Order(StringComparer.Ordinal), SampleSubjects(In("pulled.json")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async System.Threading.Tasks.Task RunOnce_IncrementalRestPull_SeesOnlyTheChangeAndRetractsAWithdrawnReturn()
    {
        var config = Config("Rest");
        Assert.Equal(0, RunOnce(config, In("first.json")).ExitCode);
        using var first = JsonDocument.Parse(File.ReadAllText(In("first.json")));
        var withReturn = first.RootElement.GetProperty("subjects").EnumerateArray().First(s => s.GetProperty("returns").GetArrayLength() > 0);
        var returnId = withReturn.GetProperty("returns")[0].GetProperty("procedure").GetString()!["Procedure/".Length..];
        var before = Directory.GetFiles(In("registry")).Length;

        // The hospital withdraws that return on its server.
        var line = File.ReadLines(Path.Combine(Sample, "Procedure.ndjson")).Last(l => l.Contains($"\"id\":\"{returnId}\"", StringComparison.Ordinal));
        var procedure = new FhirJsonDeserializer().Deserialize<Procedure>(line);
        procedure.Status = EventStatus.EnteredInError;
        await _target.PutAsync(procedure);

        var second = RunOnce(config, In("second.json"));

        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains("recomputed 1 patients, 1 change sets", second.Stdout, StringComparison.Ordinal);
        var change = File.ReadAllText(Assert.Single(Directory.GetFiles(In("registry")).Order(StringComparer.Ordinal).Skip(before)));
        Assert.Contains("\"status\":\"entered-in-error\"", change, StringComparison.Ordinal);
        using var after = JsonDocument.Parse(File.ReadAllText(In("second.json")));
        var subject = after.RootElement.GetProperty("subjects").EnumerateArray().Single(s => s.GetProperty("index").GetString() == withReturn.GetProperty("index").GetString());
        Assert.Equal(0, subject.GetProperty("returns").GetArrayLength());
    }

    [Fact]
    public async System.Threading.Tasks.Task RunOnce_KilledMidRestPullThenRestarted_LosesAndDuplicatesNothing()
    {
        // More data than the sample, so the kill lands mid-pull: pages of 20 over 2,000 more patients.
        var extra = Directory.CreateDirectory(In("extra")).FullName;
        FhirBridge.Cli.Synthetic.SyntheticHospital.Generate(2000, 77, extra);
        await _target.SeedNdjsonAsync(extra);
        var config = WriteFile("appsettings.json", $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital", "Kind": "Rest", "BaseUrl": "{{_target.BaseUrl}}", "TimeZone": "Asia/Shanghai", "PageSize": 20 } ],
                "Registry": { "Path": "registry" }, "Storage": { "ConnectionString": "state/state.db" } } }
            """);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Fhirbridge.ExecutablePath, "run", "--once", "--config", config, "--as-of", AsOf })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FhirBridge__Pseudonymization__Key"] = Key;
        using (var process = Process.Start(start)!)
        {
            // Kill once the state database exists and some pages are in (2-4 s in), mid-pull.
            await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(process.HasExited, "the pull finished before it could be killed; use more data");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var restarted = RunOnce(config, In("restarted.json"));
        var cleanConfig = WriteFile("clean.json", File.ReadAllText(config).Replace("\"registry\"", "\"clean-registry\"", StringComparison.Ordinal).Replace("state/state.db", "clean-state/state.db", StringComparison.Ordinal));
        var clean = RunOnce(cleanConfig, In("clean-report.json"));

        Assert.True(restarted.ExitCode == 0, restarted.Stdout + restarted.Stderr);
        Assert.True(clean.ExitCode == 0, clean.Stdout + clean.Stderr);
        using var a = JsonDocument.Parse(File.ReadAllText(In("restarted.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(In("clean-report.json")));
        Assert.Equal(b.RootElement.GetProperty("subjects").GetRawText(), a.RootElement.GetProperty("subjects").GetRawText());

        // The registry ends the same as after a clean run (last version of every record, by its conditional URL)...
        Assert.Equal(DirectoryRegistry.State(In("clean-registry")), DirectoryRegistry.State(In("registry")));

        // ...and every subject reached it: one ResearchSubject per subject.
        var subjects = Directory.GetFiles(In("registry"))
            .SelectMany(f => JsonNode.Parse(File.ReadAllText(f))!["entry"]!.AsArray())
            .Where(e => e!["resource"]!["resourceType"]!.GetValue<string>() == "ResearchSubject")
            .Select(e => e!["request"]!["url"]!.GetValue<string>())
            .ToList();
        Assert.Equal(a.RootElement.GetProperty("subjects").GetArrayLength(), subjects.Distinct(StringComparer.Ordinal).Count());
    }
}
