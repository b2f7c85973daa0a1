namespace FhirBridge.Cli.Configuration;

/// <summary>
/// The settings under <c>FhirBridge</c>, bound from the base settings file (the shipped <c>appsettings.json</c>, or
/// <c>--config FILE</c> / <c>FHIRBRIDGE_CONFIG</c>), then environment variables (<c>FhirBridge__...</c>), then the
/// command line. Validated at start-up by <see cref="FhirBridgeOptionsValidator"/>: a bad setting stops start-up with
/// a message naming it. Relative paths are relative to the base settings file's folder.
/// </summary>
public sealed class FhirBridgeOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FhirBridge";

    /// <summary>The study rule's settings.</summary>
    public StudyOptions Study { get; set; } = new();

    /// <summary>Extra mapping directories and code-system aliases.</summary>
    public MappingOptions Mappings { get; set; } = new();

    /// <summary>The hospital sources to pull from (at least one).</summary>
    public List<SourceOptions> Sources { get; set; } = [];

    /// <summary>Where change sets go.</summary>
    public RegistryOptions Registry { get; set; } = new();

    /// <summary>Several instances sharing one PostgreSQL store (read only when <see cref="StorageOptions.Provider"/> is PostgreSql).</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>The state store.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>The pseudonymization key.</summary>
    public PseudonymizationOptions Pseudonymization { get; set; } = new();

    /// <summary>When <c>/health/ready</c> says not ready (<see cref="HealthOptions"/>).</summary>
    public HealthOptions Health { get; set; } = new();

    /// <summary>How hospital servers reach FhirBridge's notification endpoint (<c>{PublicBaseUrl}/notifications/{source}</c>); required when a source has subscriptions.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Who may use the admin surface.</summary>
    public AdminOptions Admin { get; set; } = new();
}

/// <summary><c>FhirBridge:Study</c>: see docs/rule.md for what each changes.</summary>
public sealed class StudyOptions
{
    /// <summary>ClinicalTrials.gov number. Default NCT05995327.</summary>
    public string Id { get; set; } = "NCT05995327";

    /// <summary>Follow-up window in calendar days. Default 30.</summary>
    public int WindowDays { get; set; } = 30;

    /// <summary>Youngest eligible age in completed years. Default 18.</summary>
    public int MinAge { get; set; } = 18;

    /// <summary>Oldest eligible age in completed years. Default 80.</summary>
    public int MaxAge { get; set; } = 80;

    /// <summary>Count only returns in the index operation's Encounter. Default false.</summary>
    public bool SameAdmissionOnly { get; set; }

    /// <summary>Hours within which Procedures of one Encounter are one operation. Default 3.</summary>
    public double OperationSessionHours { get; set; } = 3;

    /// <summary>First index date (yyyy-MM-dd), inclusive. Default none.</summary>
    public string? StudyPeriodStart { get; set; }

    /// <summary>Last index date (yyyy-MM-dd), inclusive. Default none.</summary>
    public string? StudyPeriodEnd { get; set; }
}

/// <summary><c>FhirBridge:Mappings</c>.</summary>
public sealed class MappingOptions
{
    /// <summary>Directories of ConceptMaps added on top of the shipped <c>mappings/</c>.</summary>
    public List<string> Directories { get; set; } = [];

    /// <summary>Code-system URIs a hospital sends ICD codes under, mapped to <c>icd-9-cm</c> or <c>icd-10</c>.</summary>
    public Dictionary<string, string> SystemAliases { get; set; } = [];
}

/// <summary>How a source is read.</summary>
public enum SourceKind
{
    /// <summary>FHIR REST search with a <c>_lastUpdated</c> watermark.</summary>
    Rest,

    /// <summary>Bulk Data <c>$export</c>.</summary>
    BulkExport,

    /// <summary>A folder of NDJSON and Bundle files.</summary>
    Directory,
}

/// <summary><c>FhirBridge:Sources:N</c>: one hospital FHIR server or export folder.</summary>
public sealed class SourceOptions
{
    /// <summary>A short unique name (letters, digits, '-', '_'): part of every pseudonym, so never rename a source.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>How it is read.</summary>
    public SourceKind Kind { get; set; } = SourceKind.Directory;

    /// <summary>The FHIR base URL (Rest, BulkExport).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The folder (Directory).</summary>
    public string? Path { get; set; }

    /// <summary>The hospital's IANA time zone; default: the offset written in each index timestamp.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Quartz cron expression for scheduled pulls. Default every 15 minutes.</summary>
    public string Schedule { get; set; } = "0 0/15 * * * ?";

    /// <summary>Search page size (<c>_count</c>). Default 200.</summary>
    public int PageSize { get; set; } = 200;

    /// <summary>
    /// How long one request to the source may take, in seconds (Rest, BulkExport); a slower answer is abandoned and
    /// the request retried with backoff. Default 30.
    /// </summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Resource types pulled. Default the ones the rules read, plus Observation.</summary>
    public List<string> ResourceTypes { get; set; } = [];

    /// <summary>How to authenticate (Rest, BulkExport).</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Allow plain http to a host that is not on loopback (Rest, BulkExport). Default false: https only.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Export one Group's patients instead of the whole system (BulkExport). Default none.</summary>
    public string? GroupId { get; set; }

    /// <summary>Rest-hook Subscriptions on the source's server (Rest). Default off.</summary>
    public SubscriptionOptions Subscriptions { get; set; } = new();
}

/// <summary>How to authenticate to a FHIR server.</summary>
public enum AuthKind
{
    /// <summary>No authentication.</summary>
    None,

    /// <summary>HTTP Basic.</summary>
    Basic,

    /// <summary>A static bearer token.</summary>
    Bearer,

    /// <summary>SMART Backend Services (client_credentials with a signed JWT assertion).</summary>
    SmartBackend,
}

/// <summary><c>...:Auth</c>. Every secret may instead be given as a file (<c>PasswordFile</c>, <c>TokenFile</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>The kind.</summary>
    public AuthKind Kind { get; set; } = AuthKind.None;

    /// <summary>Basic user name.</summary>
    public string? Username { get; set; }

    /// <summary>Basic password (secret).</summary>
    public string? Password { get; set; }

    /// <summary>A file holding the Basic password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Bearer token (secret).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the bearer token.</summary>
    public string? TokenFile { get; set; }

    /// <summary>SMART client id.</summary>
    public string? ClientId { get; set; }

    /// <summary>SMART token URL; default: discovered from <c>.well-known/smart-configuration</c>.</summary>
    public string? TokenUrl { get; set; }

    /// <summary>PEM private key file (RSA for RS384, EC P-384 for ES384).</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>SMART scopes. Default <c>system/*.read</c> for a source, <c>system/*.write</c> for the registry.</summary>
    public string Scopes { get; set; } = "system/*.read";
}

/// <summary>Where the registry is.</summary>
public enum RegistryKind
{
    /// <summary>Write each change set as a transaction Bundle file.</summary>
    Directory,

    /// <summary>The registry's FHIR server: each change set POSTed as a transaction Bundle.</summary>
    Fhir,
}

/// <summary><c>FhirBridge:Registry</c>.</summary>
public sealed class RegistryOptions
{
    /// <summary>Send the pseudonymous Patient's birth year (never more of the date). Default true.</summary>
    public bool BirthYear { get; set; } = true;

    /// <summary>Risk-factor Observations are copied from this many days before the index date. Default 30.</summary>
    public int RiskFactorDaysBefore { get; set; } = 30;

    /// <summary>... to this many days after it, inclusive. Default 30.</summary>
    public int RiskFactorDaysAfter { get; set; } = 30;

    /// <summary>What the registry receives, as the record builder reads it.</summary>
    public Registry.RegistrySettings ToSettings() => new()
    {
        BirthYear = BirthYear,
        RiskFactorDaysBefore = RiskFactorDaysBefore,
        RiskFactorDaysAfter = RiskFactorDaysAfter,
    };

    /// <summary>The kind. Default Directory.</summary>
    public RegistryKind Kind { get; set; } = RegistryKind.Directory;

    /// <summary>The folder (Directory). Default <c>registry-out</c>.</summary>
    public string? Path { get; set; } = "registry-out";

    /// <summary>The registry's FHIR base URL (Fhir): https, unless on loopback or <see cref="AllowInsecureHttp"/>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>How to authenticate to the registry (Fhir): as for sources; SMART scopes default to <c>system/*.write</c>.</summary>
    public AuthOptions Auth { get; set; } = new() { Scopes = "system/*.write" };

    /// <summary>Allow plain http to a registry host that is not on loopback (Fhir). Default false: https only.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>
    /// Seconds one transaction may take until the registry's answer arrives (Fhir), 1-3600. A slower one is abandoned
    /// and sent again later, which is safe: every entry is a conditional upsert. Default 60.
    /// </summary>
    public int TimeoutSeconds { get; set; } = 60;
}

/// <summary>Which database holds the state.</summary>
public enum StorageProvider
{
    /// <summary>A SQLite file (default, nothing to install).</summary>
    Sqlite,

    /// <summary>PostgreSQL (several instances sharing work).</summary>
    PostgreSql,
}

/// <summary><c>FhirBridge:Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>The provider. Default Sqlite.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>For SQLite, the database file; default <c>state/fhirbridge.db</c>.</summary>
    public string ConnectionString { get; set; } = "state/fhirbridge.db";
}

/// <summary>
/// <c>FhirBridge:Cluster</c>: how the instances sharing one PostgreSQL store (their Quartz schedule lives there too)
/// find out that one of them has died and take its sources over. Ignored with SQLite, which is one instance by design.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>This instance's name in the cluster, unique per instance; default: generated from the host name.</summary>
    public string? InstanceId { get; set; }

    /// <summary>How often an instance records that it is alive, in seconds (default 7.5).</summary>
    public double CheckinIntervalSeconds { get; set; } = 7.5;

    /// <summary>How long past a missed check-in, in seconds, before another instance takes over a silent one's jobs (default 20).</summary>
    public double FailoverSeconds { get; set; } = 20;
}

/// <summary><c>FhirBridge:Pseudonymization</c>.</summary>
public sealed class PseudonymizationOptions
{
    /// <summary>The HMAC key (secret, at least 16 characters); give it through the environment or <see cref="KeyFile"/>.</summary>
    public string? Key { get; set; }

    /// <summary>A file holding the key.</summary>
    public string? KeyFile { get; set; }
}
