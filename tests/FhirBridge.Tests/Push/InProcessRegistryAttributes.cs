using FhirBridge.TestServer;

namespace FhirBridge.Tests.Push;

/// <summary>
/// A test that needs the in-process registry (fault injection, the request log). Skipped, with the reason, when
/// <c>FHIRBRIDGE_TEST_REGISTRY_URL</c> names an external registry.
/// </summary>
public sealed class InProcessRegistryFactAttribute : FactAttribute
{
    public InProcessRegistryFactAttribute() => Skip = InProcessRegistry.SkipReason;
}

/// <summary>The theory form of <see cref="InProcessRegistryFactAttribute"/>.</summary>
public sealed class InProcessRegistryTheoryAttribute : TheoryAttribute
{
    public InProcessRegistryTheoryAttribute() => Skip = InProcessRegistry.SkipReason;
}

internal static class InProcessRegistry
{
    public static string? SkipReason =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(FhirTestTarget.RegistryEnvironmentVariable))
            ? null
            : $"needs the in-process registry (fault injection); {FhirTestTarget.RegistryEnvironmentVariable} names an external one";
}
