using FhirBridge.TestServer;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>
/// A test that needs the in-process server: fault injection, or server settings (auth, export timing) an external server
/// does not take. Skipped, with the reason, when <c>FHIRBRIDGE_TEST_FHIR_URL</c> names an external server
/// (<see cref="FhirTestTarget.SupportsFaults"/> is then false).
/// </summary>
public sealed class InProcessFactAttribute : FactAttribute
{
    public InProcessFactAttribute()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(FhirTestTarget.EnvironmentVariable)))
        {
            Skip = $"needs the in-process FHIR test server (fault injection or server settings); {FhirTestTarget.EnvironmentVariable} names an external one";
        }
    }
}
