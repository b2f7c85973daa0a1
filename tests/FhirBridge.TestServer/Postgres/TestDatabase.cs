using Npgsql;

namespace FhirBridge.TestServer.Postgres;

/// <summary>
/// A throw-away PostgreSQL database for one test: created empty on the server named by
/// <c>FHIRBRIDGE_TEST_POSTGRES</c> (tests/run-all.sh starts one and sets it) and dropped, whoever is still connected,
/// when disposed.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>The environment variable holding an Npgsql connection string of a server where tests may create databases.</summary>
    public const string ServerVariable = "FHIRBRIDGE_TEST_POSTGRES";

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The connection string of the server (from <see cref="ServerVariable"/>), or null when none is given.</summary>
    public static string? ServerConnectionString =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } server ? server : null;

    /// <summary>Whether a server is given, so tests can create databases.</summary>
    public static bool IsAvailable => ServerConnectionString is not null;

    /// <summary>The database's name (<c>fb_</c> and a GUID).</summary>
    public string Name { get; }

    /// <summary>The connection string of this database: the server's, with <c>Database</c> set to <see cref="Name"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates an empty database with a fresh name.</summary>
    /// <exception cref="InvalidOperationException">No server is given (see <see cref="IsAvailable"/>).</exception>
    public static async Task<TestDatabase> CreateAsync(CancellationToken cancellationToken = default)
    {
        var server = ServerConnectionString
            ?? throw new InvalidOperationException($"no PostgreSQL server for tests: run tests/run-all.sh, or set {ServerVariable} to an Npgsql connection string");
        var name = "fb_" + Guid.NewGuid().ToString("N");
        await ExecuteOnServerAsync(server, $"CREATE DATABASE \"{name}\";", cancellationToken);
        return new TestDatabase(name, new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
    }

    /// <summary>Drops the database; FORCE ends the sessions of stores and pools still connected to it.</summary>
    public async ValueTask DisposeAsync()
    {
        await ExecuteOnServerAsync(ServerConnectionString!, $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE);", CancellationToken.None);
    }

    private static async Task ExecuteOnServerAsync(string server, string sql, CancellationToken cancellationToken)
    {
        // The name is ours (fb_ and hex digits), and CREATE/DROP DATABASE take no parameters.
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
