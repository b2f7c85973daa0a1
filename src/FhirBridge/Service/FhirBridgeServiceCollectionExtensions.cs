using FhirBridge.Cli.Configuration;
using FhirBridge.Fhir.Pull;
using FhirBridge.Cli.Push;
using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.Registry;
using FhirBridge.Storage;
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

        services.AddSingleton<IStateStore>(sp => new SqliteStateStore(Options(sp).Storage.ConnectionString));
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
        services.AddSingleton<IReadOnlyList<SourceContext>>(sp => [.. Options(sp).Sources.Select(CreateSource)]);
        services.AddSingleton<IRegistrySink>(sp => new DirectoryRegistrySink(Options(sp).Registry.Path!));
        services.AddSingleton<PatientRecompute>();
        services.AddSingleton<SourceRunner>();
        services.AddSingleton<RegistryPush>();
        return services;
    }

    private static FhirBridgeOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<FhirBridgeOptions>>().Value;

    private static SourceContext CreateSource(SourceOptions o)
    {
        IPullSource pull = o.Kind switch
        {
            SourceKind.Directory => new DirectorySource(o.Name, o.Path!),
            _ => throw new NotSupportedException($"FhirBridge:Sources: {o.Kind} sources arrive in a later step of the service issue; '{o.Name}' cannot run yet"),
        };
        return new SourceContext(o.Name, pull, o.TimeZone is null ? null : DateTimeZoneProviders.Tzdb[o.TimeZone], o.Schedule);
    }
}
