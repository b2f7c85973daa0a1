using Xunit;

namespace FhirBridge.TestServer.Postgres;

/// <summary>A fact that needs a PostgreSQL server (<see cref="TestDatabase"/>): skipped, saying how to get one, when none is given.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>Why PostgreSQL tests are skipped without a server.</summary>
    public const string NoServer =
        "needs PostgreSQL: run tests/run-all.sh (it starts a throw-away server), or set " + TestDatabase.ServerVariable
        + " to an Npgsql connection string of a server where tests may create databases (e.g. Host=127.0.0.1;Port=5433;Username=postgres)";

    /// <summary>Skips the test when <see cref="TestDatabase.IsAvailable"/> is false.</summary>
    public PostgresFactAttribute()
    {
        if (!TestDatabase.IsAvailable)
        {
            Skip = NoServer;
        }
    }
}
