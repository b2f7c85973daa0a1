using System.CommandLine;
using FhirBridge.Cli.Configuration;
using FhirBridge.Storage;
using FhirBridge.Storage.Postgres;
using FhirBridge.Storage.Sqlite;
using Npgsql;
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
    public static async Task<(FhirBridgeOptions Options, IStateStore Store)> OpenAsync(ParseResult parse, Option<string?> config, CancellationToken cancellationToken)
    {
        var overrides = Overrides(parse.UnmatchedTokens);
        var baseFile = FhirBridgeConfiguration.BaseFile(parse.GetValue(config));
        var options = new FhirBridgeOptions();
        FhirBridgeConfiguration.Build(baseFile, overrides).GetSection(FhirBridgeOptions.Section).Bind(options);
        FhirBridgeOptionsPaths.Resolve(options, Path.GetDirectoryName(baseFile)!);
        var setting = $"{FhirBridgeOptions.Section}:Storage:ConnectionString of {baseFile}";
        if (options.Storage.Provider == StorageProvider.PostgreSql)
        {
            return (options, await OpenPostgresAsync(options.Storage.ConnectionString, setting, cancellationToken));
        }

        var database = options.Storage.ConnectionString;
        if (string.IsNullOrWhiteSpace(database) || !File.Exists(database))
        {
            throw new CliError($"no state database at {database} ({setting}); has `fhirbridge run` run with these settings?");
        }

        var store = new SqliteStateStore(database);
        await store.MigrateAsync(cancellationToken);
        return (options, store);
    }

    // The connection string is never shown: it may hold a password. Npgsql's messages name the host and user, not it.
    private static async Task<IStateStore> OpenPostgresAsync(string connectionString, string setting, CancellationToken cancellationToken)
    {
        PostgresStateStore store;
        try
        {
            store = new PostgresStateStore(connectionString);
        }
        catch (ArgumentException)
        {
            throw new CliError($"the PostgreSQL state database's connection string is not an Npgsql connection string ({setting})");
        }

        try
        {
            // Like a missing SQLite file: an empty database has never been run against, so say so rather than create tables.
            await store.PingAsync(cancellationToken);
            await store.MigrateAsync(cancellationToken);
            return store;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            await store.DisposeAsync();
            throw new CliError($"no FhirBridge state in the PostgreSQL database ({setting}); has `fhirbridge run` run with these settings?");
        }
        catch (NpgsqlException e)
        {
            await store.DisposeAsync();
            throw new CliError($"cannot open the PostgreSQL state database ({setting}): {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // What Npgsql throws on opening when the connection string lacks what it needs (no Host, say).
            await store.DisposeAsync();
            throw new CliError($"the PostgreSQL state database's connection string is not usable ({setting}); it must name the server (Host=...)");
        }
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
