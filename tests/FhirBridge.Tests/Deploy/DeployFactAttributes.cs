namespace FhirBridge.Tests.Deploy;

/// <summary>A test that runs <c>systemd-analyze</c>; skipped, with the reason, where it is not installed.</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public const string Tool = "/usr/bin/systemd-analyze";

    public SystemdAnalyzeFactAttribute() =>
        Skip = File.Exists(Tool) ? null : "systemd-analyze is not installed (Debian: apt-get install systemd)";
}

/// <summary>A test of systemd behaviour; skipped, with the reason, off Linux.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute() => Skip = OperatingSystem.IsLinux() ? null : "systemd notification is Linux only";
}
