using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using FhirBridge.TestServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>
/// The registry side of a test: the in-process FHIR test server as the registry, and a <see cref="FhirRegistrySink"/> over
/// the registry's HTTP client registered with <see cref="FhirRegistryHttpServiceCollectionExtensions.AddFhirRegistryHttp"/>,
/// as the service does.
/// </summary>
internal sealed class RegistryHarness : IAsyncDisposable
{
    private readonly DirectoryInfo _folder;
    private long _nextId;

    private RegistryHarness(FhirTestServer server, ServiceProvider services, LogCollector logs, DirectoryInfo folder)
    {
        Server = server;
        Services = services;
        Logs = logs;
        _folder = folder;
        Sink = FhirRegistrySink.Create(services);
    }

    /// <summary>Fast settings: a short attempt timeout, a circuit that does not open by accident.</summary>
    public static FhirSourceHttpSettings FastHttp { get; } = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 1,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        CircuitBreakerMinimumThroughput = 100,
    };

    public FhirTestServer Server { get; }

    public ServiceProvider Services { get; }

    public FhirRegistrySink Sink { get; }

    public LogCollector Logs { get; }

    public static Task<RegistryHarness> StartAsync(Action<FhirTestServerOptions>? server = null, FhirSourceHttpSettings? http = null) =>
        StartAsync(server, (_, _) => http ?? FastHttp);

    /// <summary>Starts the server first, then registers the registry with settings that may name it or the harness folder (a key file).</summary>
    public static async Task<RegistryHarness> StartAsync(
        Action<FhirTestServerOptions>? server, Func<FhirTestServer, string, FhirSourceHttpSettings> http, Action<IHttpClientBuilder>? client = null)
    {
        var options = new FhirTestServerOptions();
        server?.Invoke(options);
        var registry = await FhirTestServer.StartAsync(options);
        var folder = Directory.CreateTempSubdirectory("fhirbridge-registry-tests-");
        var logs = new LogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var builder = services.AddFhirRegistryHttp(registry.BaseUrl, http(registry, folder.FullName));
        client?.Invoke(builder);
        return new RegistryHarness(registry, services.BuildServiceProvider(), logs, folder);
    }

    /// <summary>An outbox item carrying <paramref name="bundle"/>.</summary>
    public OutboxItem Item(string bundle, string subjectKey = "s1") =>
        new(Interlocked.Increment(ref _nextId), "hospital-a", "p1", subjectKey, bundle, 0, OutboxState.Pending, null);

    public Task<PushFailure?> SendAsync(string bundle) => Sink.SendAsync(Item(bundle), CancellationToken.None);

    /// <summary>The transactions the registry answered (faults included).</summary>
    public IReadOnlyList<RecordedRequest> Transactions => [.. Server.Requests.Where(r => r.Interaction == FhirInteraction.Transaction)];

    /// <summary>A folder deleted with the harness.</summary>
    public string Folder => _folder.FullName;

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Server.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}
