using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// The real <c>fhirbridge run</c> as a service: started on a free loopback port (<c>--Urls=http://127.0.0.1:0</c>),
/// its output collected, the address read from "Now listening on", and the process tree killed at the end.
/// </summary>
internal sealed partial class RunningService : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RunningService(Process process) => _process = process;

    /// <summary>Where it listens.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Everything it wrote so far, stdout and stderr.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>An HTTP client for its endpoints.</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Starts <c>fhirbridge run --config <paramref name="config"/></c>, with <paramref name="environment"/> added, and
    /// waits until it listens. <paramref name="wrapper"/> (a program and its arguments before <c>dotnet</c>) runs it
    /// under another parent process.
    /// </summary>
    public static async Task<RunningService> StartAsync(string config, IReadOnlyDictionary<string, string> environment, string[]? wrapper = null, params string[] more)
    {
        string[] command = ["dotnet", Fhirbridge.ExecutablePath, "run", "--config", config, "--Urls=http://127.0.0.1:0", .. more];
        var start = new ProcessStartInfo(wrapper?[0] ?? command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in wrapper is null ? command[1..] : [.. wrapper[1..], .. command])
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Remove("FhirBridge__Pseudonymization__Key");
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        start.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var service = new RunningService(Process.Start(start)!);
        service._process.OutputDataReceived += (_, e) => service.Heard(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.Heard(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        var listening = await Task.WhenAny(service._listening.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (listening != service._listening.Task)
        {
            var output = service.Output;
            await service.DisposeAsync();
            throw new TimeoutException("fhirbridge run did not listen within 60 s:\n" + output);
        }

        service.BaseUrl = await service._listening.Task;
        return service;
    }

    /// <summary>Waits until a line matching <paramref name="predicate"/> was written; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_lines.Any(predicate))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Http.Dispose();
    }

    private void Heard(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        if (Listening().Match(line) is { Success: true } m)
        {
            _listening.TrySetResult(new Uri(m.Groups[1].Value + "/"));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
