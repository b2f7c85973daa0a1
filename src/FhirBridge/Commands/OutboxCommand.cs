using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FhirBridge.Cli.Configuration;
using FhirBridge.Storage;
using Microsoft.Extensions.Configuration;

namespace FhirBridge.Cli.Commands;

/// <summary>
/// <c>fhirbridge outbox</c>: what the registry push holds. <c>list</c> shows change sets with their state, attempts and
/// the registry's last message; <c>replay</c> queues a dead letter again as a new, linked outbox item (the running service,
/// or the next <c>run</c>, sends it). The state database is the one <c>run</c> uses with the same settings.
/// </summary>
internal static class OutboxCommand
{
    private const string AllStates = "all";
    private const int SubjectPrefix = 12;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create() => new("outbox", "Inspect the registry outbox: list change sets and dead letters, replay dead letters.")
    {
        CreateList(),
        CreateReplay(),
    };

    private static Option<string?> ConfigOption() =>
        new("--config") { Description = $"The settings file whose state database to use (as for run; also {FhirBridgeConfiguration.ConfigVariable})." };

    private static Command CreateList()
    {
        var state = new Option<string>("--state") { Description = "pending, dead, sent or all.", DefaultValueFactory = _ => AllStates };
        var limit = new Option<int>("--limit") { Description = "The most items shown, newest first.", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Print the items as JSON instead of a table." };
        var config = ConfigOption();
        var command = new Command("list", "List outbox items, newest first: id, source, subject, state, attempts, when queued, replay link, last error.") { state, limit, json, config };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var chosen = parse.GetValue(state)!;
            if (chosen != AllStates && !OutboxState.All.Contains(chosen))
            {
                throw new CliError($"--state must be {string.Join(", ", OutboxState.All)} or {AllStates} (was '{chosen}')");
            }

            var count = parse.GetValue(limit);
            if (count is < 1 or > 100_000)
            {
                throw new CliError($"--limit must be between 1 and 100000 (was {count})");
            }

            var (_, store) = await StateDatabase.OpenAsync(parse, config, cancellationToken);
            var items = await store.GetOutboxAsync(chosen == AllStates ? null : chosen, count, cancellationToken);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(items.Select(ToJson), Json));
                return 0;
            }

            if (items.Count == 0)
            {
                await Console.Out.WriteLineAsync($"no outbox items ({chosen})");
            }
            else
            {
                await WriteTableAsync(Console.Out, items);
            }

            var counts = await store.GetOutboxCountsAsync(cancellationToken);
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"outbox: {string.Join(", ", OutboxState.All.Select(s => $"{counts.GetValueOrDefault(s)} {s}"))}; showing {items.Count} ({chosen}, newest first)"));
            return 0;
        }));
        return command;
    }

    private static Command CreateReplay()
    {
        var id = new Argument<string?>("id") { Description = "The dead letter's outbox id.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Replay every dead letter not replayed yet." };
        var config = ConfigOption();
        var command = new Command("replay", "Queue dead letters again, each as a new outbox item linked to the original (which stays dead). Nothing is sent here: the running service or the next run sends it.")
        {
            id, all, config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var given = parse.GetValue(id);
            var everything = parse.GetValue(all);
            long single = 0;
            if ((given is null && !everything) || (given is not null && everything))
            {
                throw new CliError("outbox replay: give one outbox ID or --all");
            }

            if (given is not null && (!long.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out single) || single < 1))
            {
                throw new CliError($"outbox replay: '{given}' is not an outbox id (a positive number, as outbox list shows)");
            }

            var (_, store) = await StateDatabase.OpenAsync(parse, config, cancellationToken);
            if (!everything)
            {
                var replay = await store.ReplayOutboxAsync(single, cancellationToken);
                if (replay.Refusal is { } refusal)
                {
                    throw new CliError(refusal);
                }

                await Console.Out.WriteLineAsync(Replayed(replay));
                await Console.Out.WriteLineAsync("nothing was sent: the running service's next run of the source, or the next `fhirbridge run`, recomputes the patient and sends the subject's records as they are then");
                return 0;
            }

            var replays = await store.ReplayDeadOutboxAsync(cancellationToken);
            foreach (var replay in replays)
            {
                await Console.Out.WriteLineAsync(replay.Refusal is null ? Replayed(replay) : "skipped: " + replay.Refusal);
            }

            var replayed = replays.Count(r => r.Replayed);
            await Console.Out.WriteLineAsync(replays.Count == 0
                ? "no dead letters to replay"
                : string.Create(CultureInfo.InvariantCulture, $"replayed {replayed} of {replays.Count} dead letters; nothing was sent: the running service's next run of each source, or the next `fhirbridge run`, recomputes their patients and sends the subjects' records as they are then"));
            return 0;
        }));
        return command;
    }

    // A replay recomputes the dead letter's patient rather than resending its old Bundle (docs/registry.md, "Dead letters").
    private static string Replayed(OutboxReplay replay) => string.Create(CultureInfo.InvariantCulture,
        $"replayed dead letter {replay.Id} (source {replay.Source}, subject {Prefix(replay.SubjectKey!)}): its patient is recomputed at the next run");

    private static async Task WriteTableAsync(TextWriter output, IReadOnlyList<OutboxItem> items)
    {
        string[] header = ["id", "source", "subject", "state", "attempts", "created", "replay", "last error"];
        var rows = items.Select(i => new[]
        {
            i.Id.ToString(CultureInfo.InvariantCulture),
            i.Source,
            Prefix(i.SubjectKey),
            i.State,
            i.Attempts.ToString(CultureInfo.InvariantCulture),
            Time(i.CreatedAt),
            i.ReplayOf is { } of ? $"replay of {of}" : i.ReplayedBy is { } by ? $"replayed by {by}" : i.ReplayedAt is { } at ? $"replayed {Time(at)}" : "",
            FirstLine(i.LastError),
        }).ToList();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            // The last column (the registry's message) is never cut.
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }

    private static object ToJson(OutboxItem i) => new
    {
        id = i.Id,
        source = i.Source,
        subjectKey = i.SubjectKey,
        state = i.State,
        attempts = i.Attempts,
        createdAt = i.CreatedAt,
        lastAttemptAt = i.LastAttemptAt,
        sentAt = i.SentAt,
        deadAt = i.DeadAt,
        lastError = i.LastError,
        replayOf = i.ReplayOf,
        replayedBy = i.ReplayedBy,
        replayedAt = i.ReplayedAt,
    };

    private static string Prefix(string subjectKey) => subjectKey.Length <= SubjectPrefix ? subjectKey : subjectKey[..SubjectPrefix] + "…";

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    private static string FirstLine(string? text) => text is null ? "" : text.Split('\n', 2)[0].TrimEnd('\r');
}
