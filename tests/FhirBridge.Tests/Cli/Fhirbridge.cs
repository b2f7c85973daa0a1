using System.Diagnostics;

namespace FhirBridge.Tests.Cli;

/// <summary>Runs the real executable (<c>dotnet fhirbridge.dll</c> from src/FhirBridge's own build output) as a user would.</summary>
internal static class Fhirbridge
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string FixturesDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>
    /// The executable in its own build output (same configuration as the tests), run as it ships: with its own
    /// dependencies, not the test project's (which carries ASP.NET Core for the FHIR test server).
    /// </summary>
    public static string ExecutablePath { get; } = FindExecutable();

    public static Result Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ExecutablePath);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // A key in the developer's environment must not change what the tests see.
        start.Environment.Remove("FhirBridge__Pseudonymization__Key");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("fhirbridge " + string.Join(' ', args) + " did not finish in 3 minutes");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(params string[] args) => Run(null, args);

    private static string FindExecutable()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
            {
                var path = Path.Combine(dir.FullName, "src", "FhirBridge", "bin", configuration, framework, "fhirbridge.dll");
                return File.Exists(path) ? path : throw new FileNotFoundException("build src/FhirBridge first: " + path);
            }
        }

        throw new InvalidOperationException("FhirBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
