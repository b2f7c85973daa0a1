using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using FhirBridge.Tests.Cli;

namespace FhirBridge.Tests.Subscriptions;

/// <summary>
/// <c>fhirbridge run</c> as a service: the real executable, listening on <c>--Urls=http://127.0.0.1:0</c>; its address
/// is read from the "Now listening on" line. Every log line is kept for assertions. Disposing kills it.
/// </summary>
internal sealed partial class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<(DateTime At, string Line)> _timed = new();

    private ServiceProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Log => string.Join('\n', _lines);

    /// <summary>Every line with the time this test received it (UTC), in order.</summary>
    public IReadOnlyList<(DateTime At, string Line)> TimedLines => [.. _timed];

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    public static async Task<ServiceProcess> StartAsync(string config, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[Fhirbridge.ExecutablePath, "run", "--config", config, "--Urls=http://127.0.0.1:0", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("FhirBridge__Pseudonymization__Key");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var service = new ServiceProcess(Process.Start(start)!);
        service._process.OutputDataReceived += (_, e) => service.Add(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.Add(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        var listening = await service.WaitForAsync(l => Listening().IsMatch(l), TimeSpan.FromSeconds(60), "the service to listen");
        service.Address = new Uri(Listening().Match(listening).Groups[1].Value + "/");
        return service;
    }

    /// <summary>How many log lines match so far.</summary>
    public int Count(string fragment) => _lines.Count(l => l.Contains(fragment, StringComparison.Ordinal));

    /// <summary>Waits for a line matching <paramref name="match"/> (already there or still to come).</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_lines.FirstOrDefault(match) is { } line)
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

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _timed.Enqueue((DateTime.UtcNow, line));
            _lines.Enqueue(line);
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
