using System.Diagnostics;
using FhirBridge.Tests.Cli;

namespace FhirBridge.Tests.Deploy;

/// <summary>docs/deploy/fhirbridge.service: the keys docs/deploy.md relies on, and what systemd itself says of it.</summary>
public sealed class UnitFileTests
{
    private static string UnitFile => Path.Combine(Fhirbridge.RepositoryRoot, "docs", "deploy", "fhirbridge.service");

    /// <summary>The unit as (section, key) to values: systemd's INI dialect, '#' and ';' comments, keys may repeat.</summary>
    private static Dictionary<(string Section, string Key), List<string>> Parse(string file)
    {
        var keys = new Dictionary<(string, string), List<string>>();
        string? section = null;
        foreach (var raw in File.ReadLines(file))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                Assert.EndsWith("]", line, StringComparison.Ordinal);
                section = line[1..^1];
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(section is not null && equals > 0, $"not a key=value line inside a section: {raw}");
            var key = (section!, line[..equals].Trim());
            if (!keys.TryGetValue(key, out var values))
            {
                keys[key] = values = [];
            }

            values.Add(line[(equals + 1)..].Trim());
        }

        return keys;
    }

    [Fact]
    public void UnitFile_ParsesAsIni_WithTheKeysTheDeployGuideReliesOn()
    {
        var unit = Parse(UnitFile);
        string One(string section, string key) => Assert.Single(unit.TryGetValue((section, key), out var v) ? v : [], _ => true);

        Assert.Equal("notify", One("Service", "Type"));
        Assert.Equal("fhirbridge", One("Service", "User"));
        Assert.Equal("/var/lib/fhirbridge", One("Service", "WorkingDirectory"));
        Assert.StartsWith("/opt/fhirbridge/fhirbridge run --config /etc/fhirbridge/appsettings.json", One("Service", "ExecStart"), StringComparison.Ordinal);
        Assert.Equal("/etc/fhirbridge/fhirbridge.env", One("Service", "EnvironmentFile"));
        Assert.Equal("on-failure", One("Service", "Restart"));
        Assert.Equal("2", One("Service", "RestartPreventExitStatus"));
        Assert.Equal("yes", One("Service", "NoNewPrivileges"));
        Assert.Equal("strict", One("Service", "ProtectSystem"));
        Assert.Equal("yes", One("Service", "PrivateTmp"));
        Assert.Equal("yes", One("Service", "ProtectHome"));
        Assert.Contains(One("Service", "WorkingDirectory"), One("Service", "ReadWritePaths").Split(' '));
        Assert.Equal("multi-user.target", One("Install", "WantedBy"));
        Assert.Contains("network-online.target", One("Unit", "After"), StringComparison.Ordinal);
    }

    [SystemdAnalyzeFact]
    public async Task UnitFile_SystemdAnalyzeVerify_ReportsNothing()
    {

        // verify also checks that ExecStart's program exists: put an existing one in its place, keep every other line.
        var dir = Directory.CreateTempSubdirectory("fhirbridge-unit-").FullName;
        try
        {
            var copy = Path.Combine(dir, "fhirbridge.service");
            File.WriteAllText(copy, File.ReadAllText(UnitFile).Replace("ExecStart=/opt/fhirbridge/fhirbridge ", "ExecStart=/bin/true ", StringComparison.Ordinal));
            var start = new ProcessStartInfo(SystemdAnalyzeFactAttribute.Tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("verify");
            start.ArgumentList.Add(copy);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(timeout.Token);

            // A misspelt key or a bad value is only a warning (exit 0) naming the file and line: none may appear.
            var said = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, said);
            Assert.DoesNotContain("fhirbridge.service:", said, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
