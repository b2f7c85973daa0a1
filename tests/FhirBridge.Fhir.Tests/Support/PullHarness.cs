using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Pull;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>
/// One test's world: a FHIR server (<see cref="FhirTestTarget"/>: in-process on 127.0.0.1, or the external one of
/// FHIRBRIDGE_TEST_FHIR_URL), a real SQLite store in a temp folder, and a service provider with the source's HTTP clients
/// registered through <see cref="FhirSourceHttpServiceCollectionExtensions.AddFhirSourceHttp"/>, as the service does.
/// </summary>
internal sealed class PullHarness : IAsyncDisposable
{
    public const string Source = "hospital-a";

    private readonly DirectoryInfo _folder;

    private PullHarness(FhirTestTarget target, ManualClock clock, ServiceProvider services, SqliteStateStore store, LogCollector logs, DirectoryInfo folder)
    {
        Target = target;
        Clock = clock;
        Services = services;
        Store = store;
        Logs = logs;
        _folder = folder;
    }

    /// <summary>HTTP settings that keep tests fast: short backoff, a few retries, a circuit that does not open by accident.</summary>
    public static FhirSourceHttpSettings FastHttp { get; } = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromSeconds(3),
        CircuitBreakerMinimumThroughput = 100,
    };

    public FhirTestTarget Target { get; }

    /// <summary>The in-process server; only for <see cref="InProcessFactAttribute"/> tests.</summary>
    public FhirTestServer Server => Target.Server ?? throw new InvalidOperationException("This test needs the in-process server.");

    /// <summary>The server's and the client's clock when in-process (an external server keeps its own time).</summary>
    public ManualClock Clock { get; }

    public ServiceProvider Services { get; }

    public SqliteStateStore Store { get; }

    public LogCollector Logs { get; }

    /// <summary>A folder deleted with the harness (keys, secret files).</summary>
    public string Folder => _folder.FullName;

    public static Task<PullHarness> StartAsync(Action<FhirTestServerOptions>? server = null, FhirSourceHttpSettings? http = null) =>
        StartAsync(server, (_, _) => http ?? FastHttp);

    /// <summary>Starts the server first, then registers the source with settings that may name it (a token URL) or the harness folder (a key file).</summary>
    public static async Task<PullHarness> StartAsync(Action<FhirTestServerOptions>? server, Func<FhirTestTarget, string, FhirSourceHttpSettings> http)
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        var options = new FhirTestServerOptions { TimeProvider = clock, ExportRetryAfter = TimeSpan.Zero };
        server?.Invoke(options);
        var target = await FhirTestTarget.CreateAsync(options);
        var folder = Directory.CreateTempSubdirectory("fhirbridge-fhir-tests-");
        var logs = new LogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<TimeProvider>(target.IsExternal ? TimeProvider.System : clock);
        services.AddFhirSourceHttp(Source, target.BaseUrl, http(target, folder.FullName));
        var store = new SqliteStateStore(Path.Combine(folder.FullName, "state.db"));
        await store.MigrateAsync(CancellationToken.None);
        return new PullHarness(target, clock, services.BuildServiceProvider(), store, logs, folder);
    }

    public RestSource Rest(RestSourceSettings? settings = null) => FhirSources.CreateRest(Services, Source, settings ?? new RestSourceSettings());

    public BulkExportSource Bulk(BulkExportSettings? settings = null) =>
        FhirSources.CreateBulkExport(Services, Source, settings ?? new BulkExportSettings { PollInterval = TimeSpan.FromMilliseconds(200) });

    public async Task SeedAsync(params Resource[] resources)
    {
        foreach (var resource in resources)
        {
            await Target.PutAsync(resource);
        }
    }

    public Task<string?> WatermarkAsync(string key) => Store.GetWatermarkAsync(Source, key, CancellationToken.None);

    /// <summary>The stored resource, or null.</summary>
    public async Task<StoredResource?> StoredAsync(string type, string id, string? patient)
    {
        var held = patient is null
            ? await Store.GetSharedResourcesAsync(Source, CancellationToken.None)
            : await Store.GetPatientResourcesAsync(Source, patient, CancellationToken.None);
        return held.SingleOrDefault(r => r.Type == type && r.Id == id);
    }

    /// <summary>The requests the in-process server answered for one interaction (and type).</summary>
    public IReadOnlyList<RecordedRequest> Requests(FhirInteraction interaction, string? type = null) =>
        [.. Server.Requests.Where(r => r.Interaction == interaction && (type is null || r.ResourceType == type))];

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Target.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}
