using FhirBridge.TestServer;

namespace FhirBridge.Tests.Subscriptions;

/// <summary>
/// A test that needs the in-process hospital server (it sends the notifications). Skipped, with the reason, when
/// <c>FHIRBRIDGE_TEST_FHIR_URL</c> names an external server.
/// </summary>
public sealed class InProcessHospitalFactAttribute : FactAttribute
{
    public InProcessHospitalFactAttribute() =>
        Skip = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(FhirTestTarget.EnvironmentVariable))
            ? null
            : $"needs the in-process hospital server (it sends the notifications); {FhirTestTarget.EnvironmentVariable} names an external one";
}
