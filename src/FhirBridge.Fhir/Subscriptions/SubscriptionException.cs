namespace FhirBridge.Fhir.Subscriptions;

/// <summary>The server refused or failed a Subscription request; the message names the source and the step, never a secret.</summary>
public sealed class SubscriptionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubscriptionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SubscriptionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SubscriptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
