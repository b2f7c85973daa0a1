using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirBridge.Cli.Synthetic;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// <c>fhirbridge run --once</c> end to end over a Directory source: the same verdicts as <c>detect</c>, nothing sent
/// twice, retractions when data is withdrawn, windows closing without new data, and a kill that loses nothing.
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private const string Key = "test-key-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string In(string name) => Path.Combine(_dir, name);

    /// <summary>A settings file of the hospital's own, outside the install, with relative paths.</summary>
    private string WriteConfig(string inputFolder, string name = "appsettings.json", string? timeZone = "Asia/Shanghai", string? extra = null)
    {
        var file = In(name);
        File.WriteAllText(file, $$"""
            {
              "FhirBridge": {
                "Sources": [ { "Name": "hospital-a", "Kind": "Directory", "Path": "{{inputFolder.Replace("\\", "/", StringComparison.Ordinal)}}" {{(timeZone is null ? "" : $", \"TimeZone\": \"{timeZone}\"")}} } ],
                "Registry": { "Kind": "Directory", "Path": "registry" },
                "Storage": { "ConnectionString": "state/state.db" }{{extra}}
              }
            }
            """);
        return file;
    }

    private static Fhirbridge.Result RunOnce(string config, string asOf, params string[] more) =>
        Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = Key }, ["run", "--once", "--config", config, "--as-of", asOf, .. more]);

    private string[] ChangeSets() => Directory.Exists(In("registry")) ? [.. Directory.GetFiles(In("registry"), "*.json").Order(StringComparer.Ordinal)] : [];

    /// <summary>What the registry ends with: the last version of every record, by its conditional URL.</summary>
    private SortedDictionary<string, string> RegistryState() => DirectoryRegistry.State(In("registry"));

    [Fact]
    public void RunOnce_Report_EqualsDetectOverTheSameFiles()
    {
        var input = Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a");
        var config = WriteConfig(input, timeZone: null);

        var run = RunOnce(config, "2024-12-31T00:00:00+08:00", "--report", In("run.json"));
        var detect = Fhirbridge.Run("detect", "--input", input, "--as-of", "2024-12-31T00:00:00+08:00", "--report", In("detect.json"));

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(0, detect.ExitCode);
        using var a = JsonDocument.Parse(File.ReadAllText(In("run.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(In("detect.json")));
        foreach (var property in new[] { "subjects", "excluded", "quarantined" })
        {
            Assert.Equal(b.RootElement.GetProperty(property).GetRawText(), a.RootElement.GetProperty(property).GetRawText());
        }

        Assert.Equal(2, ChangeSets().Length); // one per subject
    }

    [Fact]
    public void RunOnce_Twice_SendsNothingTheSecondTime()
    {
        var config = WriteConfig(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a"));
        Assert.Equal(0, RunOnce(config, "2024-12-31T00:00:00+08:00").ExitCode);
        var first = ChangeSets();

        var again = RunOnce(config, "2024-12-31T00:00:00+08:00");

        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("nothing new", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(first, ChangeSets());
    }

    [Fact]
    public void RunOnce_ReturnWithdrawnLater_RetractsItFromTheRegistry()
    {
        var input = Directory.CreateDirectory(In("input")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a")))
        {
            File.Copy(file, Path.Combine(input, Path.GetFileName(file)));
        }

        var config = WriteConfig(input);
        Assert.Equal(0, RunOnce(config, "2024-12-31T00:00:00+08:00").ExitCode);
        var before = ChangeSets().Length;

        // The hospital withdraws the counted return: a newer version, entered in error.
        File.WriteAllText(Path.Combine(input, "update.ndjson"),
            """{"resourceType":"Procedure","id":"op2","meta":{"versionId":"2"},"status":"entered-in-error","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-9-cm","code":"03.09"}]},"subject":{"reference":"Patient/p1"},"performedDateTime":"2024-03-31T15:30:00Z"}""" + "\n");
        var run = RunOnce(config, "2024-12-31T00:00:00+08:00", "--report", In("after.json"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var latest = File.ReadAllText(Assert.Single(ChangeSets().Skip(before)));
        Assert.Contains("\"status\":\"entered-in-error\"", latest, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(In("after.json")));
        Assert.Equal("no-return", report.RootElement.GetProperty("subjects")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public void RunOnce_FollowUpWindowCloses_UpdatesTheSubjectWithoutNewData()
    {
        var config = WriteConfig(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a"));
        Assert.Equal(0, RunOnce(config, "2024-12-25T00:00:00+08:00").ExitCode); // op6 (2024-12-20) is day 5: open
        var before = ChangeSets().Length;

        var later = RunOnce(config, "2025-01-20T00:00:00+08:00"); // day 31: closed

        Assert.True(later.ExitCode == 0, later.Stderr);
        Assert.Contains("recomputed 1 patients, 1 change sets", later.Stdout, StringComparison.Ordinal);
        var update = File.ReadAllText(Assert.Single(ChangeSets().Skip(before)));
        Assert.Contains("\"status\":\"off-study\"", update, StringComparison.Ordinal);
    }

    [Fact]
    public void RunOnce_AProcedureAfterTheAsOfTimeHasStarted_JudgesThePatientAgainWithoutNewData()
    {
        // Spec, data handling, "As-of": op6 (p2, 2024-12-20T08:00+08:00) does not exist yet at the first run. Once it
        // has started it is an index operation, with no new data and no window of p2's open to close.
        var config = WriteConfig(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a"));
        var first = RunOnce(config, "2024-12-20T07:59:59+08:00");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var before = ChangeSets().Length;
        Assert.Equal(0, RunOnce(config, "2024-12-20T07:59:59+08:00").ExitCode);
        Assert.Equal(before, ChangeSets().Length);

        var later = RunOnce(config, "2024-12-20T08:00:00+08:00");

        Assert.True(later.ExitCode == 0, later.Stderr);
        Assert.Contains("recomputed 1 patients, 1 change sets", later.Stdout, StringComparison.Ordinal);
        var added = File.ReadAllText(Assert.Single(ChangeSets().Skip(before)));
        Assert.Contains("\"resourceType\":\"ResearchSubject\"", added, StringComparison.Ordinal);
    }

    [Fact]
    public void RunOnce_OneSourceFails_ExitsOneNamingItAndTheOthersStillRun()
    {
        var good = Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a").Replace("\\", "/", StringComparison.Ordinal);
        var config = In("two-sources.json");
        File.WriteAllText(config, $$"""
            {
              "FhirBridge": {
                "Sources": [
                  { "Name": "gone", "Kind": "Directory", "Path": "no-such-folder" },
                  { "Name": "hospital-a", "Kind": "Directory", "Path": "{{good}}" }
                ],
                "Registry": { "Path": "registry" },
                "Storage": { "ConnectionString": "state/state.db" }
              }
            }
            """);

        var run = RunOnce(config, "2024-12-31T00:00:00+08:00");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("gone", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hospital-a", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, ChangeSets().Length);
    }

    [Fact]
    public void Run_BadSettings_StopStartUpNamingEachSetting()
    {
        var config = WriteConfig(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a"), timeZone: "Mars/Olympus",
            extra: """, "Study": { "WindowDays": -1 }""");

        var run = Fhirbridge.Run("run", "--once", "--config", config);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("FhirBridge:Sources:0:TimeZone", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("FhirBridge:Study:WindowDays", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("FhirBridge:Pseudonymization:Key", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ConfigFromEnvironmentAndOverrides_AreApplied()
    {
        var config = WriteConfig(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a"), name: "hospital.json");

        var run = Fhirbridge.Run(
            new Dictionary<string, string> { ["FHIRBRIDGE_CONFIG"] = config, ["FhirBridge__Pseudonymization__Key"] = Key },
            "run", "--once", "--as-of", "2024-12-31T00:00:00+08:00", "--FhirBridge:Study:MaxAge=63");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains(config, run.Stdout, StringComparison.Ordinal);
        Assert.Contains("index age-out-of-range 2", run.Stdout, StringComparison.Ordinal); // p2 is 64 on op6's date
    }

    [Fact]
    public void RunOnce_KilledMidRunThenRestarted_EndsEqualToACleanRun()
    {
        var data = Directory.CreateDirectory(In("data")).FullName;
        SyntheticHospital.Generate(3000, 5, data);
        var cleanDir = Directory.CreateDirectory(In("clean")).FullName;
        File.WriteAllText(Path.Combine(cleanDir, "appsettings.json"), File.ReadAllText(WriteConfig(data)));
        var clean = Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = Key },
            "run", "--once", "--config", Path.Combine(cleanDir, "appsettings.json"), "--as-of", "2026-01-01T00:00:00Z");
        Assert.True(clean.ExitCode == 0, clean.Stderr);

        // Kill the real process part-way (after it has written some change sets or after a few seconds), then restart.
        var config = WriteConfig(data);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Fhirbridge.ExecutablePath, "run", "--once", "--config", config, "--as-of", "2026-01-01T00:00:00Z" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FhirBridge__Pseudonymization__Key"] = Key;
        using (var process = Process.Start(start)!)
        {
            var killed = false;
            for (var i = 0; i < 400 && !process.HasExited; i++)
            {
                if (File.Exists(In("state/state.db")) && (ChangeSets().Length > 50 || i > 60))
                {
                    process.Kill(entireProcessTree: true);
                    killed = true;
                    break;
                }

                Thread.Sleep(50);
            }

            process.WaitForExit();
            Assert.True(killed, "the run finished before it could be killed; use more data");
        }

        var restarted = RunOnce(config, "2026-01-01T00:00:00Z");

        Assert.True(restarted.ExitCode == 0, restarted.Stderr);
        var cleanRegistry = DirectoryRegistry.State(Path.Combine(cleanDir, "registry"));
        Assert.Equal(cleanRegistry.Count, RegistryState().Count);
        Assert.Equal(cleanRegistry, RegistryState());
    }

    [Fact]
    public async Task Run_AsAService_PullsAtStartAndStopsCleanlyOnSigterm()
    {
        var config = WriteConfig(Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Fhirbridge.ExecutablePath, "run", "--config", config, "--Urls=http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FhirBridge__Pseudonymization__Key"] = Key;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (ChangeSets().Length < 2 && DateTime.UtcNow < deadline && !process.HasExited)
        {
            await Task.Delay(100);
        }

        Assert.False(process.HasExited, "the service stopped by itself");
        Assert.Equal(2, ChangeSets().Length);

        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            term.WaitForExit();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        var (output, errors) = (await stdout, await stderr);
        Assert.True(process.ExitCode == 0, errors);
        Assert.Contains("Pulled", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Zhangphi", output + errors, StringComparison.Ordinal);
    }
}
