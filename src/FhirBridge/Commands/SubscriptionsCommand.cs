using System.CommandLine;
using System.Text.Json;
using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Service;
using FhirBridge.Fhir.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirBridge.Cli.Commands;

/// <summary>
/// <c>fhirbridge subscriptions</c>: FhirBridge's own Subscriptions on the hospital servers. <c>status</c> lists them
/// with their server-side status and error; <c>remove</c> deletes them (only ours: those carrying FhirBridge's tag for
/// the source). The settings are those <c>run</c> uses.
/// </summary>
internal static class SubscriptionsCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create() => new("subscriptions", "FhirBridge's Subscriptions on the hospital FHIR servers: status, remove.")
    {
        CreateStatus(),
        CreateRemove(),
    };

    private static Option<string?> ConfigOption() =>
        new("--config") { Description = $"The settings file (as for run; also {FhirBridgeConfiguration.ConfigVariable})." };

    private static Command CreateStatus()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var config = ConfigOption();
        var command = new Command("status", "List each source's Subscriptions with their server-side status and error.") { json, config };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            using var host = BuildHost(parse, config);
            var subscriptions = host.Services.GetRequiredService<SourceSubscriptions>();
            var rows = new List<(string Source, SubscriptionState? State, string? Problem)>();
            var failed = false;
            foreach (var source in subscriptions.Sources)
            {
                try
                {
                    var states = await subscriptions.Manager(source)!.StatusAsync(cancellationToken);
                    rows.AddRange(states.Count == 0 ? [(source, null, "no subscriptions (the running service creates them)")] : states.Select(s => (source, (SubscriptionState?)s, (string?)null)));
                }
                catch (SubscriptionException e)
                {
                    failed = true;
                    rows.Add((source, null, e.Message));
                }
            }

            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(rows.Select(r => new
                {
                    source = r.Source,
                    resourceType = r.State?.ResourceType,
                    id = r.State?.Id,
                    criteria = r.State?.Criteria,
                    kind = r.State is null ? null : r.State.IsTopic ? "backport-topic" : "rest-hook",
                    status = r.State?.Status,
                    error = r.State?.Error,
                    problem = r.Problem,
                }), Json));
            }
            else if (rows.Count == 0)
            {
                await Console.Out.WriteLineAsync("no source has Subscriptions:Enabled");
            }
            else
            {
                await Console.Out.WriteLineAsync($"{"source",-16} {"type",-16} {"id",-38} {"kind",-15} {"status",-10} error");
                foreach (var (source, state, problem) in rows)
                {
                    await Console.Out.WriteLineAsync(state is null
                        ? $"{source,-16} {problem}"
                        : $"{source,-16} {state.ResourceType,-16} {state.Id,-38} {(state.IsTopic ? "backport-topic" : "rest-hook"),-15} {state.Status,-10} {state.Error}");
                }
            }

            return failed ? 1 : 0;
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var config = ConfigOption();
        var command = new Command("remove", "Delete FhirBridge's own Subscriptions from every source's server (others' are left alone). A running service creates them again on its next schedule.") { config };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            using var host = BuildHost(parse, config);
            var subscriptions = host.Services.GetRequiredService<SourceSubscriptions>();
            var failed = 0;
            foreach (var source in subscriptions.Sources)
            {
                try
                {
                    var removed = await subscriptions.Manager(source)!.RemoveAsync(cancellationToken);
                    await Console.Out.WriteLineAsync($"{source}: removed {removed} subscription(s)");
                }
                catch (SubscriptionException e)
                {
                    failed++;
                    await Console.Error.WriteLineAsync($"fhirbridge: error: {e.Message}");
                }
            }

            return failed == 0 ? 0 : 1;
        }));
        return command;
    }

    private static IHost BuildHost(ParseResult parse, Option<string?> config)
    {
        var baseFile = FhirBridgeConfiguration.BaseFile(parse.GetValue(config));
        var configuration = FhirBridgeConfiguration.Build(baseFile, parse.UnmatchedTokens);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Path.GetDirectoryName(baseFile)! });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Services.AddFhirBridge(configuration, Path.GetDirectoryName(baseFile)!);
        var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<FhirBridgeOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            host.Dispose();
            throw new CliError(string.Join("; ", e.Failures));
        }

        return host;
    }
}
