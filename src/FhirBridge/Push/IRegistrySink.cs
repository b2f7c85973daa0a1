using FhirBridge.Storage;

namespace FhirBridge.Cli.Push;

/// <summary>Where change sets go: a folder today, the registry's FHIR server with the registry-push stage.</summary>
public interface IRegistrySink
{
    /// <summary>A short description for summaries (the folder or URL).</summary>
    string Describe();

    /// <summary>Delivers one change set; returns null when accepted, else the failure and whether retrying can help.</summary>
    Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken);
}

/// <summary>Why a change set was not accepted; <see cref="Permanent"/> moves it to the dead letters.</summary>
public sealed record PushFailure(string Message, bool Permanent);
