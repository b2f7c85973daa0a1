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
    public static string ExecutablePath => LazyExecutable.Value;

    private static readonly Lazy<string> LazyExecutable = new(FindExecutable);

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

    /// <summary>The repository root (the folder holding FhirBridge.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FhirBridge.sln not found above " + AppContext.BaseDirectory);
    }

    private static string FindExecutable()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(RepositoryRoot, "src", "FhirBridge", "bin", output.Parent!.Name, output.Name, "fhirbridge.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build src/FhirBridge first: " + path);
    }
}
