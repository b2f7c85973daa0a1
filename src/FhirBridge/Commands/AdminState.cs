using System.CommandLine;
using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Web.Admin;
using FhirBridge.Storage;
using Microsoft.Extensions.Configuration;

namespace FhirBridge.Cli.Commands;

/// <summary>
/// What the terminal equivalents of the admin pages read: the settings (as <c>run</c> and <c>outbox</c> load them) and
/// the state database they name, through the same <see cref="AdminData"/> the pages use.
/// </summary>
internal static class AdminState
{
    public static Option<string?> ConfigOption() =>
        new("--config") { Description = $"The settings file whose state database to read (as for run; also {FhirBridgeConfiguration.ConfigVariable})." };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table, for scripts." };

    public static async Task<AdminData> OpenAsync(ParseResult parse, Option<string?> config, CancellationToken cancellationToken)
    {
        var (options, store) = await StateDatabase.OpenAsync(parse, config, cancellationToken);
        return new AdminData(store, options, new ConfiguredSubscriptionStatus(options), TimeProvider.System);
    }

    /// <summary>A plain table: columns padded, the last never cut.</summary>
    public static async Task WriteTableAsync(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }
}
