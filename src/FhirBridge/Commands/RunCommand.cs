using System.CommandLine;
using System.Globalization;
using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Push;
using FhirBridge.Cli.Service;
using FhirBridge.Cli.Telemetry;
using FhirBridge.Cli.Web;
using FhirBridge.Reporting;
using FhirBridge.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace FhirBridge.Cli.Commands;

/// <summary>
/// <c>fhirbridge run</c>: the service. Runs until stopped (Ctrl+C or SIGTERM drain the current batch), pulling each
/// source on its schedule; <c>--once</c> runs every stage once for every source and exits. Any other
/// <c>--FhirBridge:Key=value</c> argument overrides a setting.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var once = new Option<bool>("--once") { Description = "Run every stage once for every source, then exit (0 when all succeeded)." };
        var report = new Option<string?>("--report") { Description = "With --once: write the detect report for the whole store here." };
        var config = new Option<string?>("--config") { Description = $"The settings file that replaces the shipped appsettings.json (also {FhirBridgeConfiguration.ConfigVariable})." };
        var asOf = new Option<string?>("--as-of") { Description = "With --once: judge as of this ISO 8601 date-time (default: now)." };
        var command = new Command("run", "Run the service: scheduled pulls from every source, recompute, and hand changes to the registry.") { once, report, config, asOf };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var baseFile = FhirBridgeConfiguration.BaseFile(parse.GetValue(config));
            var configuration = FhirBridgeConfiguration.Build(baseFile, parse.UnmatchedTokens);
            var quiet = parse.GetValue(once);
            using var host = BuildHost(configuration, Path.GetDirectoryName(baseFile)!, quiet);
            if (Validate(host) is { } failures)
            {
                foreach (var failure in failures)
                {
                    await Console.Error.WriteLineAsync($"fhirbridge: error: {failure}");
                }

                return CliError.ExitCode;
            }

            await host.Services.GetRequiredService<IStateStore>().MigrateAsync(cancellationToken);
            if (!quiet)
            {
                await host.RunAsync(cancellationToken);
                return 0;
            }

            var judgedAt = parse.GetValue(asOf) is { } text ? CliTime.AsOf(text, null, TimeProvider.System) : (OffsetDateTime?)null;
            return await RunOnceAsync(host.Services, judgedAt, parse.GetValue(report), baseFile, cancellationToken);
        }));
        return command;
    }

    private static IHost BuildHost(IConfigurationRoot configuration, string baseDirectory, bool once)
    {
        // --once is a batch run: no HTTP. The service also listens (notifications, admin surface, health).
        if (once)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = baseDirectory });
            Configure(builder.Configuration, builder.Logging, builder.Services, configuration, baseDirectory, once);
            return builder.Build();
        }

        var web = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = baseDirectory });

        // Only FhirBridge's own layers (settings file, environment, command line): the web defaults would also read
        // an appsettings.json beside a --config file, and merge settings nobody asked for.
        web.Configuration.Sources.Clear();
        web.Logging.ClearProviders();
        Configure(web.Configuration, web.Logging, web.Services, configuration, baseDirectory, once);
        web.WebHost.UseUrls(FhirBridgeWeb.Urls(configuration));

        // Under systemd (Type=notify: READY=1 once listening, journal-friendly logs) or the Windows service manager;
        // both do nothing otherwise. OTLP export only when configured.
        web.Services.AddSystemd();
        web.Services.AddWindowsService();
        if (OperatingSystem.IsWindows())
        {
            web.Logging.AddEventLog(); // a Windows service has no console to read
        }

        web.Services.AddFhirBridgeTelemetry(configuration);
        FhirBridgeWeb.AddServices(web.Services, configuration);
        Scheduling.AddSchedules(web.Services, configuration);
        var app = web.Build();
        FhirBridgeWeb.Map(app);
        return app;
    }

    private static void Configure(
        IConfigurationManager target, ILoggingBuilder logging, IServiceCollection services, IConfigurationRoot configuration, string baseDirectory, bool once)
    {
        target.AddConfiguration(configuration);
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; o.UseUtcTimestamp = true; });
        logging.SetMinimumLevel(once ? LogLevel.Warning : LogLevel.Information);
        logging.AddFilter("Quartz", LogLevel.Warning);

        // The HTTP client factory logs every request URL at Information; our own lines say what was pulled. ASP.NET
        // Core logs every request at Information too; "Now listening on" (Hosting.Lifetime) stays.
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        services.AddFhirBridge(configuration, baseDirectory);
    }

    private static IReadOnlyList<string>? Validate(IHost host)
    {
        try
        {
            _ = host.Services.GetRequiredService<IOptions<FhirBridgeOptions>>().Value;
            return null;
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
    }

    private static async Task<int> RunOnceAsync(IServiceProvider services, OffsetDateTime? asOf, string? reportFile, string baseFile, CancellationToken cancellationToken)
    {
        var ci = CultureInfo.InvariantCulture;
        var output = Console.Out;
        var runner = services.GetRequiredService<SourceRunner>();
        var recompute = services.GetRequiredService<PatientRecompute>();
        var store = services.GetRequiredService<IStateStore>();
        var push = services.GetRequiredService<RegistryPush>();
        var options = services.GetRequiredService<IOptions<FhirBridgeOptions>>().Value;
        var sources = services.GetRequiredService<IReadOnlyList<SourceContext>>();
        var judgedAt = asOf ?? Instant.FromDateTimeOffset(TimeProvider.System.GetUtcNow()).WithOffset(Offset.Zero);

        await output.WriteLineAsync($"settings   {baseFile}");

        // Change sets go to the registry as each batch of patients commits them, while later ones are computed.
        var pushing = new PushAlongside(push, TimeProvider.System, TimeSpan.FromMilliseconds(200), cancellationToken);
        var failed = new List<string>();
        var report = new DetectionReport(options.Study.Id, judgedAt);
        foreach (var source in sources)
        {
            // On a terminal a long backfill shows how far it got; in logs and pipes it stays quiet.
            var progress = Console.IsOutputRedirected ? null : new ImmediateProgress(step => Console.Error.Write($"\r  {source.Name}: {step}...        "));
            var result = await runner.RunAsync(source, judgedAt, cancellationToken, progress);
            if (progress is not null)
            {
                await Console.Error.WriteAsync("\r" + new string(' ', 60) + "\r");
            }

            if (result.Error is not null)
            {
                failed.Add($"{source.Name}: {result.Error}");
                await output.WriteLineAsync($"source     {source.Name}: FAILED: {result.Error}");
                continue;
            }

            var pulled = result.Pulled!;
            var read = pulled.ResourcesByType.Count == 0
                ? "nothing new"
                : string.Create(ci, $"read {pulled.ResourcesByType.Values.Sum()} resources ({string.Join(", ", pulled.ResourcesByType.Select(kv => $"{kv.Key} {kv.Value}"))}), {pulled.Stored} new or changed");
            await output.WriteLineAsync(string.Create(ci,
                $"source     {source.Name}: {read}, {pulled.Quarantined} quarantined ({result.PullTime.TotalSeconds:0.0} s); recomputed {result.Recomputed!.Patients} patients, {result.Recomputed.ChangeSets} change sets ({result.RecomputeTime.TotalSeconds:0.0} s)"));
            await recompute.ReportAllAsync(source, judgedAt, report, cancellationToken);
            foreach (var q in await store.GetQuarantineAsync(source.Name, cancellationToken))
            {
                report.Add(new Ingest.IngestResult(q.Origin, q.ResourceType, null, q.Reason));
            }
        }

        var (sent, dead, pending) = await pushing.CompleteAsync(cancellationToken);
        var verb = options.Registry.Kind == RegistryKind.Fhir ? "sent to" : "written to";
        await output.WriteLineAsync(string.Create(ci, $"registry   {sent} change sets {verb} {push.Destination}; {dead} dead letters, {pending} pending"));
        await output.WriteLineAsync($"state      {StateDescription(options.Storage)}");
        await output.WriteLineAsync(string.Create(ci, $"study {report.Study}, as of {report.AsOf.ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", ci)}; quarantined in store {report.Quarantined.Count}"));
        ReportSummary.Write(output, report);
        if (reportFile is not null)
        {
            await using var stream = File.Create(reportFile);
            report.WriteTo(stream);
        }

        if (failed.Count > 0)
        {
            await Console.Error.WriteLineAsync($"fhirbridge: error: {failed.Count} source(s) failed: {string.Join("; ", failed)}");
            return 1;
        }

        return 0;
    }

    // Where the state is, without what a connection string can hold besides (a PostgreSQL password).
    private static string StateDescription(StorageOptions storage) => storage.Provider switch
    {
        StorageProvider.PostgreSql when new Npgsql.NpgsqlConnectionStringBuilder(storage.ConnectionString) is var b =>
            string.Create(CultureInfo.InvariantCulture, $"PostgreSQL {b.Host}:{b.Port}/{b.Database ?? b.Username}"),
        _ => storage.ConnectionString,
    };

    // Progress<T> posts to the thread pool, so a late report could land after the line is cleared; this one reports inline.
    private sealed class ImmediateProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
