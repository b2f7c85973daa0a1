using System.Globalization;
using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Service;
using FhirBridge.Fhir.Http;
using FhirBridge.Storage;
using Microsoft.Extensions.Options;

namespace FhirBridge.Cli.Web.Health;

/// <summary>
/// What <c>/health/ready</c> checks: the state store answers, no source has failed
/// <see cref="HealthOptions.MaxConsecutiveFailures"/> runs in a row, and the registry is reachable (a Directory
/// registry's folder is writable; a FHIR registry answers <c>GET [base]/metadata</c>, remembered for
/// <see cref="HealthOptions.RegistryCheckSeconds"/>). The answer names sources and states only: no patient data, no
/// error text that could carry a credential or a path inside the data.
/// </summary>
internal sealed class Readiness(
    IStateStore store, IOptions<FhirBridgeOptions> options, SourceRunHistory history, IHttpClientFactory http, TimeProvider clock) : IDisposable
{
    private const string Ok = "ok";
    private const string Failing = "failing";
    private readonly SemaphoreSlim _registryCheck = new(1, 1);
    private (DateTimeOffset At, Check Result)? _lastRegistryCheck;

    /// <summary>One check's outcome.</summary>
    internal sealed record Check(string Status, string? Detail = null);

    /// <summary>One source's state.</summary>
    internal sealed record SourceCheck(string Name, string Status, int FailuresInARow, string? LastRun);

    /// <summary>The whole answer.</summary>
    internal sealed record Report(string Status, Check Store, Check Registry, IReadOnlyList<SourceCheck> Sources);

    /// <inheritdoc />
    public void Dispose() => _registryCheck.Dispose();

    /// <summary>Runs every check.</summary>
    public async Task<Report> CheckAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        IReadOnlyList<SourceRun>? runs = null;
        Check storeCheck;
        try
        {
            await store.PingAsync(cancellationToken);
            runs = await store.GetRunsAsync(cancellationToken);
            storeCheck = new Check(Ok);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            storeCheck = new Check(Failing, "the state store cannot be read");
        }

        var sources = settings.Sources.Select(s => SourceState(s.Name, runs?.FirstOrDefault(r => r.Source == s.Name), settings.Health.MaxConsecutiveFailures)).ToList();
        var registry = await RegistryAsync(settings, cancellationToken);
        var ready = storeCheck.Status == Ok && registry.Status == Ok && sources.All(s => s.Status != Failing);
        return new Report(ready ? "ready" : "not-ready", storeCheck, registry, sources);
    }

    private SourceCheck SourceState(string name, SourceRun? last, int maxFailures)
    {
        // This process's streak; before this process ran the source, its last stored run (a failure counts as one).
        var failures = history.FailuresInARow(name) ?? (last?.Error is null ? 0 : 1);
        var status = last is null && history.FailuresInARow(name) is null ? "not-run-yet" : failures >= maxFailures ? Failing : Ok;
        return new SourceCheck(name, status, failures, last?.At.ToString("O", CultureInfo.InvariantCulture));
    }

    private async Task<Check> RegistryAsync(FhirBridgeOptions settings, CancellationToken cancellationToken)
    {
        if (settings.Registry.Kind != RegistryKind.Fhir)
        {
            return DirectoryWritable(settings.Registry.Path!);
        }

        await _registryCheck.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            if (_lastRegistryCheck is { } cached && now - cached.At < TimeSpan.FromSeconds(settings.Health.RegistryCheckSeconds))
            {
                return cached.Result;
            }

            var result = await MetadataAsync(settings.Registry.BaseUrl!, cancellationToken);
            _lastRegistryCheck = (now, result);
            return result;
        }
        finally
        {
            _registryCheck.Release();
        }
    }

    private async Task<Check> MetadataAsync(string baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            // The registry's own client: its origin guard, auth and timeouts; a short deadline of our own on top, since
            // a probe must answer fast.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            var url = new Uri(new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/"), "metadata");
            using var response = await http.CreateClient(FhirRegistryHttp.ClientName).GetAsync(url, deadline.Token);
            return response.IsSuccessStatusCode
                ? new Check(Ok)
                : new Check(Failing, string.Create(CultureInfo.InvariantCulture, $"GET metadata answered {(int)response.StatusCode}"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Check(Failing, "GET metadata got no answer");
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // The circuit breaker or the origin guard refused the call: the registry counts as unreachable.
            return new Check(Failing, "GET metadata was refused: " + e.GetType().Name);
        }
    }

    private static Check DirectoryWritable(string path)
    {
        try
        {
            // The sink creates the folder on its first write; the probe does the same, then writes and removes a file.
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, ".fhirbridge-ready-probe");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
            return new Check(Ok);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Check(Failing, "the registry folder is not writable");
        }
    }
}
