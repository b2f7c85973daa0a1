using System.Text.RegularExpressions;
using FhirBridge.Detection;
using FhirBridge.Fhir.Http;
using Microsoft.Extensions.Options;
using Npgsql;
using NodaTime;
using NodaTime.Text;
using Quartz;

namespace FhirBridge.Cli.Configuration;

/// <summary>
/// Checks every setting at start-up and names the bad ones (conventions.md: typed options that fail at start-up with
/// a message that names the setting). Secrets are checked for presence, never printed.
/// </summary>
public sealed partial class FhirBridgeOptionsValidator : IValidateOptions<FhirBridgeOptions>
{
    private static readonly HashSet<string> KnownAliasTargets = ["icd-9-cm", "icd-10"];

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FhirBridgeOptions options)
    {
        var failures = new List<string>();
        const string root = FhirBridgeOptions.Section;

        if (ToStudy(options.Study, out var studyProblem) is null)
        {
            failures.Add(studyProblem!);
        }

        foreach (var (uri, target) in options.Mappings.SystemAliases)
        {
            if (!KnownAliasTargets.Contains(target))
            {
                failures.Add($"{root}:Mappings:SystemAliases:{uri} must be icd-9-cm or icd-10 (was '{target}')");
            }
        }

        if (options.Sources.Count == 0)
        {
            failures.Add($"{root}:Sources must list at least one source");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Sources.Count; i++)
        {
            var s = options.Sources[i];
            var at = $"{root}:Sources:{i}";
            if (!SourceName().IsMatch(s.Name))
            {
                failures.Add($"{at}:Name must be 1-64 letters, digits, '-' or '_' (was '{s.Name}')");
            }
            else if (!names.Add(s.Name))
            {
                failures.Add($"{at}:Name '{s.Name}' is used by another source");
            }

            switch (s.Kind)
            {
                case SourceKind.Directory when string.IsNullOrWhiteSpace(s.Path):
                    failures.Add($"{at}:Path is required for a Directory source");
                    break;
                case SourceKind.Rest or SourceKind.BulkExport when !IsHttpUrl(s.BaseUrl):
                    failures.Add($"{at}:BaseUrl must be an http(s) URL for a {s.Kind} source (was '{s.BaseUrl}')");
                    break;
                case SourceKind.Rest or SourceKind.BulkExport when FhirSourceHttp.CheckBaseUrl(new Uri(s.BaseUrl!), s.AllowInsecureHttp) is { } refused:
                    failures.Add($"{at}:BaseUrl {refused} (or set {at}:AllowInsecureHttp)");
                    break;
            }

            if (s.TimeZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(s.TimeZone) is null)
            {
                failures.Add($"{at}:TimeZone '{s.TimeZone}' is not an IANA time zone (e.g. Asia/Shanghai)");
            }

            if (!IsCron(s.Schedule))
            {
                failures.Add($"{at}:Schedule '{s.Schedule}' is not a Quartz cron expression (e.g. 0 0/15 * * * ?)");
            }

            if (s.PageSize is < 1 or > 1000)
            {
                failures.Add($"{at}:PageSize must be 1-1000 (was {s.PageSize})");
            }

            if (s.TimeoutSeconds is < 1 or > 3600)
            {
                failures.Add($"{at}:TimeoutSeconds must be 1-3600 (was {s.TimeoutSeconds})");
            }

            failures.AddRange(AuthFailures(s.Auth, $"{at}:Auth"));
        }

        if (options.Registry.ToSettings().Validate() is { } registryFailure)
        {
            failures.Add($"{root}:{registryFailure}");
        }

        failures.AddRange(RegistryFailures(options.Registry, $"{root}:Registry"));
        failures.AddRange(HealthOptions.Failures(options.Health, $"{root}:Health"));
        failures.AddRange(SubscriptionOptionsValidator.Failures(options));

        failures.AddRange(StorageFailures(options.Storage, $"{root}:Storage"));

        if (options.Cluster.CheckinIntervalSeconds is < 0.5 or > 600)
        {
            failures.Add($"{root}:Cluster:CheckinIntervalSeconds must be between 0.5 and 600 (seconds)");
        }

        if (options.Cluster.FailoverSeconds is < 1 or > 3600)
        {
            failures.Add($"{root}:Cluster:FailoverSeconds must be between 1 and 3600 (seconds)");
        }

        if (Secret(options.Pseudonymization.Key, options.Pseudonymization.KeyFile) is not { Length: >= 16 })
        {
            failures.Add($"{root}:Pseudonymization:Key is missing or shorter than 16 characters: set it through the environment ({root}__Pseudonymization__Key) or {root}:Pseudonymization:KeyFile");
        }

        failures.AddRange(AdminOptions.Failures(options.Admin, $"{root}:Admin"));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The study definition the settings describe, or null with the problem.</summary>
    public static StudyDefinition? ToStudy(StudyOptions o, out string? problem)
    {
        var start = Date(o.StudyPeriodStart);
        var end = Date(o.StudyPeriodEnd);
        problem = (o.StudyPeriodStart, start, o.StudyPeriodEnd, end) switch
        {
            (not null, null, _, _) => $"{FhirBridgeOptions.Section}:Study:StudyPeriodStart '{o.StudyPeriodStart}' is not a date (yyyy-MM-dd)",
            (_, _, not null, null) => $"{FhirBridgeOptions.Section}:Study:StudyPeriodEnd '{o.StudyPeriodEnd}' is not a date (yyyy-MM-dd)",
            _ => null,
        };
        var study = new StudyDefinition
        {
            Id = o.Id,
            WindowDays = o.WindowDays,
            MinAge = o.MinAge,
            MaxAge = o.MaxAge,
            SameAdmissionOnly = o.SameAdmissionOnly,
            OperationSessionHours = o.OperationSessionHours,
            StudyPeriodStart = start,
            StudyPeriodEnd = end,
        };
        if (problem is null && study.Validate() is { } invalid)
        {
            problem = $"{FhirBridgeOptions.Section}:{invalid}";
        }

        return problem is null ? study : null;

        static LocalDate? Date(string? text) =>
            text is not null && LocalDatePattern.Iso.Parse(text) is { Success: true } parsed ? parsed.Value : null;
    }

    /// <summary>A secret given directly or through a file (trimmed), or null.</summary>
    public static string? Secret(string? value, string? file)
    {
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        return file is not null && File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    private static IEnumerable<string> StorageFailures(StorageOptions storage, string at)
    {
        switch (storage.Provider)
        {
            case StorageProvider.Sqlite when string.IsNullOrWhiteSpace(storage.ConnectionString):
                yield return $"{at}:ConnectionString is required (for Sqlite, the database file)";
                break;
            case StorageProvider.Sqlite:
                break;
            case StorageProvider.PostgreSql when string.IsNullOrWhiteSpace(storage.ConnectionString):
                yield return $"{at}:ConnectionString is required for PostgreSql: an Npgsql connection string such as {PostgresExample}";
                break;
            case StorageProvider.PostgreSql:
                // Never echo the connection string: it may hold a password.
                if (PostgresConnectionString(storage.ConnectionString) is not { } parsed)
                {
                    yield return $"{at}:ConnectionString is not an Npgsql connection string (Key=value pairs separated by ';', such as {PostgresExample}); it is not shown, as it may hold a password";
                }
                else if (string.IsNullOrWhiteSpace(parsed.Host))
                {
                    yield return $"{at}:ConnectionString must name the PostgreSQL server (Host=...)";
                }

                break;
            default:
                yield return $"{at}:Provider must be Sqlite or PostgreSql (was {storage.Provider})";
                break;
        }
    }

    private const string PostgresExample = "Host=db.example.org;Database=fhirbridge;Username=fhirbridge;Password=...";

    private static NpgsqlConnectionStringBuilder? PostgresConnectionString(string text)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            return null;
        }
    }

    private static IEnumerable<string> RegistryFailures(RegistryOptions registry, string at)
    {
        switch (registry.Kind)
        {
            case RegistryKind.Directory when string.IsNullOrWhiteSpace(registry.Path):
                yield return $"{at}:Path is required for a Directory registry";
                break;
            case RegistryKind.Fhir:
                if (!IsHttpUrl(registry.BaseUrl))
                {
                    yield return $"{at}:BaseUrl must be an http(s) URL for a Fhir registry (was '{registry.BaseUrl}')";
                }
                else if (FhirSourceHttp.CheckBaseUrl(new Uri(registry.BaseUrl!), registry.AllowInsecureHttp) is { } refused)
                {
                    yield return $"{at}:BaseUrl {refused} (or set {at}:AllowInsecureHttp)";
                }

                if (registry.TimeoutSeconds is < 1 or > 3600)
                {
                    yield return $"{at}:TimeoutSeconds must be 1-3600 (was {registry.TimeoutSeconds})";
                }

                foreach (var failure in AuthFailures(registry.Auth, $"{at}:Auth"))
                {
                    yield return failure;
                }

                break;
        }
    }

    private static IEnumerable<string> AuthFailures(AuthOptions auth, string at)
    {
        switch (auth.Kind)
        {
            case AuthKind.Basic:
                if (string.IsNullOrWhiteSpace(auth.Username))
                {
                    yield return $"{at}:Username is required for Basic auth";
                }

                if (Secret(auth.Password, auth.PasswordFile) is null)
                {
                    yield return $"{at}:Password (or PasswordFile) is required for Basic auth";
                }

                break;
            case AuthKind.Bearer when Secret(auth.Token, auth.TokenFile) is null:
                yield return $"{at}:Token (or TokenFile) is required for Bearer auth";
                break;
            case AuthKind.SmartBackend:
                if (string.IsNullOrWhiteSpace(auth.ClientId))
                {
                    yield return $"{at}:ClientId is required for SmartBackend auth";
                }

                if (auth.PrivateKeyFile is null || !File.Exists(auth.PrivateKeyFile))
                {
                    yield return $"{at}:PrivateKeyFile must name a readable PEM key for SmartBackend auth";
                }

                if (auth.TokenUrl is not null && !IsHttpUrl(auth.TokenUrl))
                {
                    yield return $"{at}:TokenUrl must be an http(s) URL";
                }

                break;
        }
    }

    private static bool IsCron(string expression)
    {
        try
        {
            _ = new CronExpression(expression);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool IsHttpUrl(string? text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SourceName();
}
