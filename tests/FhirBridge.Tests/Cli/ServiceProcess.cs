using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// The real <c>fhirbridge run</c> as a service, for the tests that need the whole process (web host, schedules,
/// clustering, systemd, telemetry): started on a free loopback port (<c>--Urls=http://127.0.0.1:0</c>), its address
/// read from the "Now listening on" line, every line of its output kept with the time it arrived, and the process tree
/// killed when disposed.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable, IDisposable
{
    // Settings a developer's shell may carry that would change what the service does: each test gives its own.
    private static readonly string[] Inherited = ["FhirBridge__Pseudonymization__Key", "OTEL_EXPORTER_OTLP_ENDPOINT", "NOTIFY_SOCKET"];

    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();

    private ServiceProcess(Process process) => _process = process;

    /// <summary>Where it listens.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>An HTTP client for its endpoints.</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Every line it wrote so far, stdout and stderr, in order.</summary>
    public IReadOnlyList<string> Lines => [.. _lines.Select(l => l.Line)];

    /// <summary>Everything it wrote so far, one line after another (for assertion messages).</summary>
    public string Log => string.Join('\n', Lines);

    /// <summary>Every line with the time this test received it (UTC), in order.</summary>
    public IReadOnlyList<(DateTime At, string Line)> TimedLines => [.. _lines];

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <c>fhirbridge run --config <paramref name="config"/> <paramref name="arguments"/></c> with
    /// <paramref name="environment"/> added, and waits until it listens.
    /// </summary>
    public static Task<ServiceProcess> StartAsync(string config, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartUnderAsync([], config, environment, arguments);

    /// <summary>
    /// As <see cref="StartAsync"/>, run by <paramref name="wrapper"/> (a program and its arguments before <c>dotnet</c>),
    /// so that the service has another parent process.
    /// </summary>
    public static async Task<ServiceProcess> StartUnderAsync(string[] wrapper, string config, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        string[] command = [.. wrapper, "dotnet", Fhirbridge.ExecutablePath, "run", "--config", config, "--Urls=http://127.0.0.1:0", .. arguments];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command[1..])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in Inherited)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var service = new ServiceProcess(Process.Start(start)!);
        service._process.OutputDataReceived += (_, e) => service.Add(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.Add(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        try
        {
            var listening = await service.WaitForAsync(l => Listening().IsMatch(l), TimeSpan.FromSeconds(60), "the service to listen");
            service.BaseUrl = new Uri(Listening().Match(listening).Groups[1].Value + "/");
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many lines contain <paramref name="fragment"/> so far.</summary>
    public int Count(string fragment) => _lines.Count(l => l.Line.Contains(fragment, StringComparison.Ordinal));

    /// <summary>Waits for a line matching <paramref name="match"/> (already there or still to come); throws with the log after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_lines.Select(l => l.Line).FirstOrDefault(match) is { } line)
            {
                return line;
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"waited {timeout.TotalSeconds} s for {what}; the service {(_process.HasExited ? "exited" : "is running")}. Log:\n{Log}");
    }

    /// <summary>Waits until <paramref name="fragment"/> has appeared at least <paramref name="count"/> times.</summary>
    public async Task WaitForCountAsync(string fragment, int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (Count(fragment) < count)
        {
            if (DateTime.UtcNow > until || _process.HasExited)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds} s for '{fragment}' x{count} (seen {Count(fragment)}). Log:\n{Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Ends the process at once (<c>SIGKILL</c>), as a crash or the OOM killer would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        Http.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue((DateTime.UtcNow, line));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
