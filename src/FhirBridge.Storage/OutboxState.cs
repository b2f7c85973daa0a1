namespace FhirBridge.Storage;

/// <summary>The states of an outbox item, as stored.</summary>
public static class OutboxState
{
    /// <summary>Waiting to be sent (new, or failed transiently).</summary>
    public const string Pending = "pending";

    /// <summary>Accepted by the registry.</summary>
    public const string Sent = "sent";

    /// <summary>Refused by the registry for good: a dead letter, kept with the registry's message until replayed.</summary>
    public const string Dead = "dead";

    /// <summary>Every state, in the order a change set goes through them.</summary>
    public static IReadOnlyList<string> All { get; } = [Pending, Sent, Dead];
}
