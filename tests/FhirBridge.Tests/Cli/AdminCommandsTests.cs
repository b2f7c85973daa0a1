using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// The admin surface's terminal equivalents end to end, on one <c>run --once</c> over the committed synthetic hospital:
/// <c>status</c>, <c>log</c>, <c>unmapped</c> (with its ConceptMap skeleton), <c>report --chart</c>, and
/// <c>admin hash-password</c>.
/// </summary>
public sealed class AdminCommandsTests(AdminCommandsTests.SyntheticState state) : IClassFixture<AdminCommandsTests.SyntheticState>
{
    private Fhirbridge.Result Run(params string[] args) => Fhirbridge.Run([.. args, "--config", state.Config]);

    [Fact]
    public void Status_Table_ShowsTheSourceOutboxAndOutcomes()
    {
        var status = Run("status");

        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Matches(@"synthetic\s+Directory\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\S+( \S+)?\s+504\s+not configured\s+none", status.Stdout);
        Assert.Contains("outbox: 0 pending, 504 sent, 0 dead; 0 dead letters not replayed", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("subjects: 500 no-return, 4 unplanned-return", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_Json_IsForScripts()
    {
        var status = Run("status", "--json");

        Assert.True(status.ExitCode == 0, status.Stderr);
        using var json = JsonDocument.Parse(status.Stdout);
        var source = json.RootElement.GetProperty("sources")[0];
        Assert.Equal("synthetic", source.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, source.GetProperty("lastError").ValueKind);
        Assert.Equal(4, json.RootElement.GetProperty("outcomes").GetProperty("unplanned-return").GetInt32());
    }

    [Fact]
    public void Log_Filters_ByDecisionReasonAndType()
    {
        var log = Run("log", "--decision", "excluded", "--reason", "planned", "--type", "Procedure", "--json", "--limit", "100");

        Assert.True(log.ExitCode == 0, log.Stderr);
        var lines = log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // The synthetic run's summary: "return planned 3".
        Assert.Equal(3, lines.Length);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            var e = entry.RootElement.GetProperty("entry");
            Assert.Equal("excluded", e.GetProperty("decision").GetString());
            Assert.Equal("planned", e.GetProperty("reason").GetString());
            Assert.StartsWith("Procedure/", e.GetProperty("source").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("verdict.3", e.GetProperty("rule").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Log_Table_SaysHowManyOfHowMany()
    {
        var log = Run("log", "--decision", "counted", "--limit", "2");

        Assert.True(log.ExitCode == 0, log.Stderr);
        Assert.Contains("showing 2 of ", log.Stdout, StringComparison.Ordinal);
        Assert.Equal(2 + 2, log.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Log_BadTime_IsAOneLineError()
    {
        var log = Run("log", "--from", "yesterday");

        Assert.Equal(2, log.ExitCode);
        Assert.Contains("--from must be a date or an ISO 8601 instant", log.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unmapped_ListsCodesMostDecisionsFirst_AndWritesTheSkeleton()
    {
        var file = Path.Combine(state.Directory, "unmapped-" + Guid.NewGuid().ToString("N") + ".json");
        var unmapped = Run("unmapped", "--json", "--conceptmap", file);

        Assert.True(unmapped.ExitCode == 0, unmapped.Stderr);
        using var json = JsonDocument.Parse(unmapped.Stdout);
        var codes = json.RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(codes);
        Assert.Equal(codes.Select(c => c.GetProperty("decisions").GetInt32()).OrderDescending(), codes.Select(c => c.GetProperty("decisions").GetInt32()));
        Assert.Contains(codes, c => c.GetProperty("system").GetString() == "http://hl7.org/fhir/sid/icd-10" && c.GetProperty("code").GetString() == "E11.9");
        using var map = JsonDocument.Parse(File.ReadAllText(file));
        var elements = map.RootElement.GetProperty("group").EnumerateArray().SelectMany(g => g.GetProperty("element").EnumerateArray()).Count();
        Assert.Equal(codes.Count(c => c.GetProperty("system").GetString()!.Length > 0), elements);
    }

    [Fact]
    public void ReportChart_WritesTheSvgWithABarPerMeasuredMonthAndGroup()
    {
        var file = Path.Combine(state.Directory, "chart-" + Guid.NewGuid().ToString("N") + ".svg");
        var report = Run("report", "--chart", file);

        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.Contains("4/504 unplanned returns", report.Stdout, StringComparison.Ordinal);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = XDocument.Load(file).Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        Assert.NotEmpty(bars);
        Assert.Equal(4, bars.Sum(b => int.Parse(b.Element(ns + "title")!.Value.Split(": ")[1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void HashPassword_ReadsStdin_PrintsAHashTheSettingsAccept()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Fhirbridge.ExecutablePath);
        start.ArgumentList.Add("admin");
        start.ArgumentList.Add("hash-password");
        using var process = Process.Start(start)!;
        process.StandardInput.WriteLine("a long admin password");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));

        Assert.Equal(0, process.ExitCode);
        var hash = output.Trim();
        Assert.StartsWith("pbkdf2-sha256$600000$", hash, StringComparison.Ordinal);
        Assert.True(FhirBridge.Cli.Web.Admin.AdminPassword.Verify("a long admin password", hash));
        Assert.DoesNotContain("a long admin password", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MalformedPasswordHash_StopsStartUpNamingTheSetting()
    {
        var run = Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = SyntheticState.Key },
            "run", "--once", "--config", state.Config, "--FhirBridge:Admin:PasswordHash=secret");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("FhirBridge:Admin:PasswordHash must look like pbkdf2-sha256$ITERATIONS$SALT$HASH", run.Stderr + run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", run.Stderr + run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>One run over the synthetic hospital (500 patients), shared by the tests: they only read its state.</summary>
    public sealed class SyntheticState : IDisposable
    {
        public const string Key = "test-key-0123456789abcdef";

        public SyntheticState()
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("fhirbridge-admin-cli-").FullName;
            Config = Path.Combine(Directory, "appsettings.json");
            var input = Path.Combine(Fhirbridge.RepositoryRoot, "samples", "synthetic-hospital").Replace("\\", "/", StringComparison.Ordinal);
            File.WriteAllText(Config, $$"""
                { "FhirBridge": {
                    "Sources": [ { "Name": "synthetic", "Kind": "Directory", "Path": "{{input}}", "TimeZone": "Asia/Shanghai" } ],
                    "Registry": { "Kind": "Directory", "Path": "registry-out" },
                    "Storage": { "ConnectionString": "state/state.db" } } }
                """);
            var run = Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = Key }, "run", "--once", "--config", Config, "--as-of", "2025-12-31T00:00:00+08:00");
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException("run --once failed: " + run.Stdout + run.Stderr);
            }
        }

        public string Directory { get; }

        public string Config { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
