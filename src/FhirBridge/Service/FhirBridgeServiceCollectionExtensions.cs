using FhirBridge.Cli.Configuration;
using FhirBridge.Fhir.Pull;
using FhirBridge.Cli.Push;
using FhirBridge.Cli.Telemetry;
using FhirBridge.Conformance;
using FhirBridge.Fhir.Push;
using FhirBridge.Detection;
using FhirBridge.Fhir.Http;
using FhirBridge.Mapping;
using FhirBridge.Registry;
using FhirBridge.Storage;
using FhirBridge.Storage.Postgres;
using FhirBridge.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;

namespace FhirBridge.Cli.Service;

/// <summary>Registers FhirBridge's pipeline: options (validated at start-up), the store, the stages and the sources.</summary>
public static class FhirBridgeServiceCollectionExtensions
{
    /// <summary>Adds the pipeline, bound to the <c>FhirBridge</c> section; relative paths resolve against <paramref name="baseDirectory"/>.</summary>
    public static IServiceCollection AddFhirBridge(this IServiceCollection services, IConfiguration configuration, string baseDirectory)
    {
        services.AddOptions<FhirBridgeOptions>()
            .Bind(configuration.GetSection(FhirBridgeOptions.Section))
            .PostConfigure(o => FhirBridgeOptionsPaths.Resolve(o, baseDirectory))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FhirBridgeOptions>, FhirBridgeOptionsValidator>();
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton<IStateStore>(sp => Options(sp).Storage switch
        {
            { Provider: StorageProvider.PostgreSql } postgres => new PostgresStateStore(postgres.ConnectionString, sp.GetRequiredService<TimeProvider>()),
            var sqlite => new SqliteStateStore(sqlite.ConnectionString, sp.GetRequiredService<TimeProvider>()),
        });
        services.AddSingleton(sp =>
        {
            var o = Options(sp).Mappings;
            var systems = new CodeSystems(
                o.SystemAliases.Where(a => a.Value == "icd-9-cm").Select(a => a.Key),
                o.SystemAliases.Where(a => a.Value == "icd-10").Select(a => a.Key));
            return MappingLoader.Load([Path.Combine(AppContext.BaseDirectory, "mappings"), .. o.Directories], systems);
        });
        services.AddSingleton(sp => new UnplannedReturnRule(FhirBridgeOptionsValidator.ToStudy(Options(sp).Study, out _)!));
        services.AddSingleton(sp =>
        {
            var o = Options(sp).Pseudonymization;
            return new Pseudonymizer(FhirBridgeOptionsValidator.Secret(o.Key, o.KeyFile)!);
        });
        services.AddSingleton(sp => Options(sp).Registry.ToSettings());
        AddHttp(services, configuration, baseDirectory);
        services.AddSingleton<IReadOnlyList<SourceContext>>(sp => [.. Options(sp).Sources.Select(o => CreateSource(sp, o))]);
        services.AddSingleton<IRegistrySink>(sp => Options(sp).Registry.Kind switch
        {
            RegistryKind.Fhir => FhirRegistrySink.Create(sp),
            _ => new DirectoryRegistrySink(Options(sp).Registry.Path!),
        });
        services.AddMetrics();
        services.AddSingleton<FhirBridgeMetrics>();
        services.AddSingleton<SourceRunHistory>();
        services.AddSingleton<PatientRecompute>();
        services.AddSingleton<SourceRunner>();
        services.AddSingleton(_ => new ChangeSetValidation(new ProfileValidator(ProfileSet.Load(Path.Combine(AppContext.BaseDirectory, "profiles")))));
        services.AddSingleton<RegistryPush>();
        services.AddSingleton<SourceSubscriptions>();
        return services;
    }

    private static FhirBridgeOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<FhirBridgeOptions>>().Value;

    // The HTTP clients of REST and Bulk sources and of a FHIR registry are named registrations, so they are made from
    // the settings now; a bad URL is left to the validator, which names the setting at start-up.
    private static void AddHttp(IServiceCollection services, IConfiguration configuration, string baseDirectory)
    {
        var bound = new FhirBridgeOptions();
        configuration.GetSection(FhirBridgeOptions.Section).Bind(bound);
        FhirBridgeOptionsPaths.Resolve(bound, baseDirectory);
        foreach (var s in bound.Sources.Where(s => s.Kind is SourceKind.Rest or SourceKind.BulkExport))
        {
            if (!Uri.TryCreate(s.BaseUrl, UriKind.Absolute, out var url) || FhirSourceHttp.CheckBaseUrl(url, s.AllowInsecureHttp) is not null
                || string.IsNullOrWhiteSpace(s.Name) || bound.Sources.Count(x => x.Name == s.Name) > 1 || s.TimeoutSeconds is < 1 or > 3600)
            {
                continue;
            }

            services.AddFhirSourceHttp(s.Name, url, new FhirSourceHttpSettings
            {
                AllowInsecureHttp = s.AllowInsecureHttp,
                Auth = ToHttpAuth(s.Auth),
                RequestTimeout = TimeSpan.FromSeconds(s.TimeoutSeconds),
            });
        }

        var registry = bound.Registry;
        if (registry.Kind == RegistryKind.Fhir && Uri.TryCreate(registry.BaseUrl, UriKind.Absolute, out var registryUrl)
            && FhirSourceHttp.CheckBaseUrl(registryUrl, registry.AllowInsecureHttp) is null && registry.TimeoutSeconds is >= 1 and <= 3600)
        {
            services.AddFhirRegistryHttp(registryUrl, new FhirSourceHttpSettings
            {
                AllowInsecureHttp = registry.AllowInsecureHttp,
                Auth = ToHttpAuth(registry.Auth),
                RequestTimeout = TimeSpan.FromSeconds(registry.TimeoutSeconds),
            });
        }
    }

    private static FhirSourceAuthSettings ToHttpAuth(AuthOptions auth) => new()
    {
        Kind = Enum.Parse<FhirSourceAuthKind>(auth.Kind.ToString()),
        Username = auth.Username,
        Password = auth.Password,
        PasswordFile = auth.PasswordFile,
        Token = auth.Token,
        TokenFile = auth.TokenFile,
        ClientId = auth.ClientId,
        TokenUrl = Uri.TryCreate(auth.TokenUrl, UriKind.Absolute, out var tokenUrl) ? tokenUrl : null,
        PrivateKeyFile = auth.PrivateKeyFile,
        Scopes = auth.Scopes,
    };

    private static SourceContext CreateSource(IServiceProvider services, SourceOptions o)
    {
        IReadOnlyList<string> types = o.ResourceTypes.Count == 0 ? RestSourceSettings.DefaultResourceTypes : o.ResourceTypes;
        IPullSource pull = o.Kind switch
        {
            SourceKind.Directory => new DirectorySource(o.Name, o.Path!),
            SourceKind.Rest => FhirSources.CreateRest(services, o.Name, new RestSourceSettings { ResourceTypes = types, PageSize = o.PageSize }),
            SourceKind.BulkExport => FhirSources.CreateBulkExport(services, o.Name, new BulkExportSettings { ResourceTypes = types, GroupId = o.GroupId }),
            _ => throw new NotSupportedException($"FhirBridge:Sources: unknown kind {o.Kind} for source '{o.Name}'"),
        };
        return new SourceContext(o.Name, pull, o.TimeZone is null ? null : DateTimeZoneProviders.Tzdb[o.TimeZone], o.Schedule);
    }
}
