using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FhirBridge.Cli.Web.Admin;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge log</c>: the stored mapping log, filtered as on the admin page, newest first.</summary>
internal static class LogCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static Command Create()
    {
        var source = new Option<string?>("--source") { Description = "Only this source." };
        var type = new Option<string?>("--type") { Description = "Only decisions on this resource type (Procedure, Condition, ...)." };
        var decision = new Option<string?>("--decision") { Description = "mapped, prefix-match, unmapped, assumed, missing, index, counted, excluded or quarantined." };
        var reason = new Option<string?>("--reason") { Description = "Only this reason (e.g. not-in-theatre) or category reached." };
        var code = new Option<string?>("--code") { Description = "Only entries with a code containing this text (system|code)." };
        var from = new Option<string?>("--from") { Description = "Recorded at or after this date or instant (ISO 8601; UTC if no offset)." };
        var to = new Option<string?>("--to") { Description = "Recorded before this date or instant." };
        var offset = new Option<int>("--offset") { Description = "Skip this many entries (paging)." };
        var limit = new Option<int>("--limit") { Description = "The most entries shown.", DefaultValueFactory = _ => 50 };
        var json = AdminState.JsonOption();
        var config = AdminState.ConfigOption();
        var command = new Command("log", "The mapping log: every decision with its evidence, newest first; --json prints one JSON object a line.")
        {
            source, type, decision, reason, code, from, to, offset, limit, json, config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var count = parse.GetValue(limit);
            if (count is < 1 or > 100_000)
            {
                throw new CliError($"--limit must be between 1 and 100000 (was {count})");
            }

            if (parse.GetValue(offset) < 0)
            {
                throw new CliError("--offset must not be negative");
            }

            var query = new MappingLogQuery
            {
                Source = parse.GetValue(source),
                ResourceType = parse.GetValue(type),
                Decision = parse.GetValue(decision),
                Reason = parse.GetValue(reason),
                Code = parse.GetValue(code),
                From = Instant(parse.GetValue(from), "--from"),
                To = Instant(parse.GetValue(to), "--to"),
                Offset = parse.GetValue(offset),
                Limit = count,
            };
            var data = await AdminState.OpenAsync(parse, config, cancellationToken);
            var page = await data.Store.QueryMappingLogAsync(query, cancellationToken);
            if (parse.GetValue(json))
            {
                foreach (var r in page.Records)
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { seq = r.Seq, sourceName = r.SourceName, recordedAt = r.RecordedAt, entry = r.Entry }, Json));
                }

                return 0;
            }

            await AdminState.WriteTableAsync(Console.Out, ["recorded", "source", "resource", "decision", "rule", "reason", "codes", "prefix", "index", "detail"],
                [.. page.Records.Select(r => new[]
                {
                    AdminPages.Time(r.RecordedAt), r.SourceName, r.Entry.Source, r.Entry.Decision, r.Entry.Rule, r.Entry.Reason ?? "",
                    string.Join(" ", r.Entry.Codes), r.Entry.Prefix ?? "", r.Entry.Index ?? "", r.Entry.Detail ?? "",
                })]);
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"showing {page.Records.Count} of {page.Total} decisions (newest first, from {query.Offset})"));
            return 0;
        }));
        return command;
    }

    private static DateTimeOffset? Instant(string? text, string option) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at
        : throw new CliError($"{option} must be a date or an ISO 8601 instant (was '{text}')");
}
