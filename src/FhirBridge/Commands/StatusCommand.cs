using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FhirBridge.Cli.Web.Admin;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge status</c>: the admin overview in a terminal (per source the last pull, lag, error, watermarks; the outbox; subjects by outcome).</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var json = AdminState.JsonOption();
        var config = AdminState.ConfigOption();
        var command = new Command("status", "The overview: each source's last pull, lag, last error and watermarks; the outbox; subjects by outcome.") { json, config };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var data = await AdminState.OpenAsync(parse, config, cancellationToken);
            var status = await data.StatusAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(status, Json));
                return 0;
            }

            var ci = CultureInfo.InvariantCulture;
            await AdminState.WriteTableAsync(Console.Out, ["source", "kind", "last pull", "lag", "subjects", "subscriptions", "last error"],
                [.. status.Sources.Select(s => new[] { s.Name, s.Kind, AdminPages.Time(s.LastPull), AdminPages.Lag(s.Lag), s.Subjects.ToString(ci), s.Subscription, s.LastError ?? "none" })]);
            foreach (var s in status.Sources.Where(s => s.Watermarks.Count > 0))
            {
                await Console.Out.WriteLineAsync($"watermarks {s.Name}: {string.Join(", ", s.Watermarks)}");
            }

            await Console.Out.WriteLineAsync(string.Create(ci,
                $"outbox: {string.Join(", ", OutboxState.All.Select(x => $"{status.Outbox.GetValueOrDefault(x)} {x}"))}; {status.DeadLettersNotReplayed} dead letters not replayed"));
            await Console.Out.WriteLineAsync(status.Outcomes.Count == 0
                ? "subjects: none"
                : "subjects: " + string.Join(", ", status.Outcomes.Select(o => string.Create(ci, $"{o.Value} {o.Key}"))));
            return 0;
        }));
        return command;
    }
}
