using FhirBridge.TestServer;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// A test that injects faults into both the hospital and the registry, so it needs the in-process servers. Skipped,
/// with the reason, when <c>FHIRBRIDGE_TEST_FHIR_URL</c> or <c>FHIRBRIDGE_TEST_REGISTRY_URL</c> names an external one.
/// </summary>
public sealed class InProcessServersFactAttribute : FactAttribute
{
    public InProcessServersFactAttribute()
    {
        var external = new[] { FhirTestTarget.EnvironmentVariable, FhirTestTarget.RegistryEnvironmentVariable }
            .Where(v => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(v))).ToList();
        Skip = external.Count == 0 ? null : $"needs the in-process servers (fault injection); {string.Join(" and ", external)} name external ones";
    }
}
