using FhirBridge.Storage;

namespace FhirBridge.Fhir.Push;

/// <summary>
/// Where change sets go: a folder (<c>DirectoryRegistrySink</c>, in the <c>fhirbridge</c> executable) or the registry's
/// FHIR server (<see cref="FhirRegistrySink"/>). <c>RegistryPush</c> hands each pending outbox item to the sink in order.
/// </summary>
public interface IRegistrySink
{
    /// <summary>A short description for summaries (the folder or URL).</summary>
    string Describe();

    /// <summary>Delivers one change set; returns null when accepted, else the failure and whether retrying can help.</summary>
    Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken);
}
