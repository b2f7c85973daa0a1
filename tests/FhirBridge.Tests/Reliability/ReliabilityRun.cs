using System.Diagnostics;
using FhirBridge.Cli.Synthetic;
using FhirBridge.Tests.Cli;
using FhirBridge.TestServer;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// What the reliability tests share: a synthetic hospital on a FHIR server, one bridge set-up (settings file and state
/// folder) per registry, and <c>fhirbridge run --once</c> as a process that can be killed.
/// </summary>
internal static partial class ReliabilityRun
{
    public const string Key = "reliability-key-0123456789";
    public const string AsOf = "2026-01-01T00:00:00+08:00";

    public static Dictionary<string, string> Environment => new() { ["FhirBridge__Pseudonymization__Key"] = Key };

    /// <summary>Writes a synthetic hospital of <paramref name="patients"/> patients (fixed seed) and seeds it into <paramref name="hospital"/>.</summary>
    public static async Task SeedAsync(FhirTestTarget hospital, int patients, int seed, string scratch)
    {
        var data = Path.Combine(scratch, $"hospital-{seed}");
        Directory.CreateDirectory(data);
        SyntheticHospital.Generate(patients, seed, data);
        await hospital.SeedNdjsonAsync(data);
    }

    /// <summary>
    /// Writes a synthetic hospital of <paramref name="patients"/> patients (fixed seed) split into <paramref name="parts"/>
    /// folders by patient, every patient's resources in one part and the shared Locations and Organizations in the
    /// first: seeded one after another, they are a hospital whose new patients keep arriving.
    /// </summary>
    public static IReadOnlyList<string> WriteInParts(int patients, int seed, int parts, string scratch)
    {
        var data = Path.Combine(scratch, $"hospital-{seed}");
        Directory.CreateDirectory(data);
        SyntheticHospital.Generate(patients, seed, data);
        var folders = Enumerable.Range(0, parts).Select(i => Directory.CreateDirectory(Path.Combine(data, $"part-{i:00}")).FullName).ToList();
        var partOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(data, "*.ndjson").Order(StringComparer.Ordinal))
        {
            var byPart = folders.Select(_ => new List<string>()).ToList();
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                var patient = PatientOf().Match(line) is { Success: true } m ? m.Groups["id"].Value : null;
                var part = patient is null ? 0 : partOf.TryGetValue(patient, out var p) ? p : partOf[patient] = partOf.Count * parts / patients;
                byPart[Math.Min(part, parts - 1)].Add(line);
            }

            for (var i = 0; i < parts; i++)
            {
                File.WriteAllLines(Path.Combine(folders[i], Path.GetFileName(file)), byPart[i]);
            }
        }

        return folders;
    }

    // A Patient line's own id (the first "id" of the line), or the patient every other resource names in subject/patient.
    [System.Text.RegularExpressions.GeneratedRegex("""^\{"resourceType":"Patient","id":"(?<id>[^"]+)"|"(?:subject|patient)":\{"reference":"Patient/(?<id>[^"]+)""")]
    private static partial System.Text.RegularExpressions.Regex PatientOf();

    /// <summary>A settings file in its own folder (state beside it) reading <paramref name="hospitals"/> into <paramref name="registry"/>.</summary>
    public static string Config(
        string folder, IReadOnlyList<(string Name, Uri BaseUrl)> hospitals, Uri registry, int registryTimeoutSeconds = 10, int sourceTimeoutSeconds = 30,
        string? storage = null, string extra = "", string sourceAuth = """{ "Kind": "None" }""",
        string schedule = "0 0/15 * * * ?")
    {
        Directory.CreateDirectory(folder);
        var sources = string.Join(",\n", hospitals.Select(h => $$"""
            { "Name": "{{h.Name}}", "Kind": "Rest", "BaseUrl": "{{h.BaseUrl}}", "TimeZone": "Asia/Shanghai", "PageSize": 50, "TimeoutSeconds": {{sourceTimeoutSeconds}}, "Schedule": "{{schedule}}", "Auth": {{sourceAuth}} }
            """));
        var path = Path.Combine(folder, "appsettings.json");
        File.WriteAllText(path, $$"""
            { "FhirBridge": {
                "Sources": [ {{sources}} ],
                "Registry": { "Kind": "Fhir", "BaseUrl": "{{registry}}", "TimeoutSeconds": {{registryTimeoutSeconds}} },
                "Storage": {{storage ?? """{ "ConnectionString": "state/state.db" }"""}}{{extra}} } }
            """);
        return path;
    }

    /// <summary>Runs <c>run --once</c> to the end; fails the test on a non-zero exit.</summary>
    public static Fhirbridge.Result RunOnce(string config)
    {
        var run = Fhirbridge.Run(Environment, "run", "--once", "--config", config, "--as-of", AsOf);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return run;
    }

    /// <summary>Starts <c>run --once</c> without waiting for it.</summary>
    public static Process Start(string config)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Fhirbridge.ExecutablePath, "run", "--once", "--config", config, "--as-of", AsOf })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("FhirBridge__Pseudonymization__Key");
        start.Environment["FhirBridge__Pseudonymization__Key"] = Key;
        var process = Process.Start(start)!;

        // Drained, so a full pipe never blocks the process before its kill.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
