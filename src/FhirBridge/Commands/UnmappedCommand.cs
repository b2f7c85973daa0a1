using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FhirBridge.Cli.Web.Admin;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge unmapped</c>: every source code no mapping covers, most decisions first; <c>--conceptmap FILE</c> writes the skeleton to fill in.</summary>
internal static class UnmappedCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var json = AdminState.JsonOption();
        var conceptMap = new Option<string?>("--conceptmap") { Description = "Also write a ConceptMap skeleton for these codes to FILE (fill in the targets, then load it with --mappings)." };
        var config = AdminState.ConfigOption();
        var command = new Command("unmapped", "Every source code no mapping covers, grouped by system and code, with counts and example resources.") { json, conceptMap, config };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var data = await AdminState.OpenAsync(parse, config, cancellationToken);
            var codes = await data.UnmappedAsync(cancellationToken);
            if (parse.GetValue(conceptMap) is { } file)
            {
                await File.WriteAllTextAsync(file, ConceptMapSkeleton.Build(codes, TimeProvider.System.GetUtcNow()), cancellationToken);
            }

            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(codes, Json));
                return 0;
            }

            var ci = CultureInfo.InvariantCulture;
            await AdminState.WriteTableAsync(Console.Out, ["system", "code", "decisions", "sources", "examples"],
                [.. codes.Select(c => new[] { c.System, c.Code, c.Decisions.ToString(ci), string.Join(",", c.Sources), string.Join(" ", c.Examples) })]);
            await Console.Out.WriteLineAsync(string.Create(ci, $"{codes.Count} unmapped codes") + (parse.GetValue(conceptMap) is { } f ? $"; ConceptMap skeleton written to {f}" : ""));
            return 0;
        }));
        return command;
    }
}
