using System.CommandLine;
using FhirBridge.Cli.Configuration;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using Microsoft.Extensions.Configuration;

namespace FhirBridge.Cli.Commands;

/// <summary>
/// How the commands that read the service's state (<c>outbox</c>, <c>status</c>, <c>log</c>, <c>unmapped</c>,
/// <c>report</c>) find it: the settings as <c>run</c> loads them (the base settings file, the environment and
/// <c>--FhirBridge:Key=value</c> overrides), and the state database they name, migrated to this version's schema.
/// </summary>
internal static class StateDatabase
{
    /// <summary>The settings and the opened store; a missing database is the user's to fix (exit 2, one line).</summary>
    public static async Task<(FhirBridgeOptions Options, SqliteStateStore Store)> OpenAsync(ParseResult parse, Option<string?> config, CancellationToken cancellationToken)
    {
        var overrides = Overrides(parse.UnmatchedTokens);
        var baseFile = FhirBridgeConfiguration.BaseFile(parse.GetValue(config));
        var options = new FhirBridgeOptions();
        FhirBridgeConfiguration.Build(baseFile, overrides).GetSection(FhirBridgeOptions.Section).Bind(options);
        FhirBridgeOptionsPaths.Resolve(options, Path.GetDirectoryName(baseFile)!);
        if (options.Storage.Provider != StorageProvider.Sqlite)
        {
            throw new CliError($"{FhirBridgeOptions.Section}:Storage:Provider {options.Storage.Provider} is not available yet; use Sqlite");
        }

        var database = options.Storage.ConnectionString;
        if (string.IsNullOrWhiteSpace(database) || !File.Exists(database))
        {
            throw new CliError($"no state database at {database} ({FhirBridgeOptions.Section}:Storage:ConnectionString of {baseFile}); has `fhirbridge run` run with these settings?");
        }

        var store = new SqliteStateStore(database);
        await store.MigrateAsync(cancellationToken);
        return (options, store);
    }

    /// <summary>Setting overrides (<c>--FhirBridge:Key=value</c> or <c>--FhirBridge:Key value</c>); anything else is a mistake.</summary>
    public static List<string> Overrides(IReadOnlyList<string> tokens)
    {
        var overrides = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--" + FhirBridgeOptions.Section + ":", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliError($"unexpected argument '{token}' (settings are overridden with --{FhirBridgeOptions.Section}:Key=value)");
            }

            overrides.Add(token);
            if (!token.Contains('=', StringComparison.Ordinal) && i + 1 < tokens.Count)
            {
                overrides.Add(tokens[++i]);
            }
        }

        return overrides;
    }
}
