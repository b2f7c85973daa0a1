using FhirBridge.Cli.Configuration;

namespace FhirBridge.Tests.Configuration;

/// <summary><c>FhirBridge:Storage</c>: SQLite by default; PostgreSQL with an Npgsql connection string that is checked at start-up and never shown.</summary>
public sealed class StorageOptionsTests
{
    private const string Password = "hunter2-not-to-be-shown";

    private static FhirBridgeOptions Valid(StorageProvider provider, string connectionString) => new()
    {
        Sources = [new SourceOptions { Name = "hospital-a", Path = "/data/hospital-a" }],
        Pseudonymization = new PseudonymizationOptions { Key = "test-key-0123456789abcdef" },
        Storage = new StorageOptions { Provider = provider, ConnectionString = connectionString },
    };

    private static List<string> Failures(StorageProvider provider, string connectionString) =>
        new FhirBridgeOptionsValidator().Validate(null, Valid(provider, connectionString)).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_PostgreSqlWithAConnectionString_Passes() =>
        Assert.Empty(Failures(StorageProvider.PostgreSql, $"Host=db.example.org;Port=5433;Database=fhirbridge;Username=fhirbridge;Password={Password}"));

    [Fact]
    public void Validate_PostgreSqlWithoutConnectionString_NamesTheSetting() =>
        Assert.Equal(
            ["FhirBridge:Storage:ConnectionString is required for PostgreSql: an Npgsql connection string such as Host=db.example.org;Database=fhirbridge;Username=fhirbridge;Password=..."],
            Failures(StorageProvider.PostgreSql, " "));

    [Theory]
    [InlineData("state/fhirbridge.db")]
    [InlineData($"Host=db.example.org;Password={Password};Colour=blue")]
    [InlineData($"Host=db.example.org;Password={Password};Port=five")]
    public void Validate_PostgreSqlWithSomethingElse_SaysSoWithoutShowingIt(string connectionString)
    {
        var failure = Assert.Single(Failures(StorageProvider.PostgreSql, connectionString));

        Assert.StartsWith("FhirBridge:Storage:ConnectionString is not an Npgsql connection string (Key=value pairs separated by ';'", failure, StringComparison.Ordinal);
        Assert.EndsWith("it is not shown, as it may hold a password", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("state/", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PostgreSqlWithoutHost_NamesTheSetting() =>
        Assert.Equal(
            ["FhirBridge:Storage:ConnectionString must name the PostgreSQL server (Host=...)"],
            Failures(StorageProvider.PostgreSql, $"Database=fhirbridge;Username=fhirbridge;Password={Password}"));

    [Fact]
    public void Validate_AProviderThatDoesNotExist_NamesTheSetting() =>
        Assert.Equal(["FhirBridge:Storage:Provider must be Sqlite or PostgreSql (was 7)"], Failures((StorageProvider)7, "x"));

    [Fact]
    public void Validate_SqliteWithoutConnectionString_StillNamesTheFile() =>
        Assert.Equal(["FhirBridge:Storage:ConnectionString is required (for Sqlite, the database file)"], Failures(StorageProvider.Sqlite, ""));

    [Fact]
    public void Paths_APostgreSqlConnectionString_IsNotTakenForAPath()
    {
        const string connectionString = "Host=db.example.org;Database=fhirbridge;Username=fhirbridge";
        var postgres = Valid(StorageProvider.PostgreSql, connectionString);
        var sqlite = Valid(StorageProvider.Sqlite, "state/fhirbridge.db");

        FhirBridgeOptionsPaths.Resolve(postgres, "/etc/fhirbridge");
        FhirBridgeOptionsPaths.Resolve(sqlite, "/etc/fhirbridge");

        Assert.Equal(connectionString, postgres.Storage.ConnectionString);
        Assert.Equal("/etc/fhirbridge/state/fhirbridge.db", sqlite.Storage.ConnectionString);
    }
}
