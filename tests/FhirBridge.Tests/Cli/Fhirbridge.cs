using System.Diagnostics;

namespace FhirBridge.Tests.Cli;

/// <summary>Runs the real executable (<c>dotnet fhirbridge.dll</c>, built beside the tests) as a user would.</summary>
internal static class Fhirbridge
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string FixturesDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static Result Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fhirbridge.dll"));
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
}
