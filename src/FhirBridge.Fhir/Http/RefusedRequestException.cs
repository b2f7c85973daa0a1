namespace FhirBridge.Fhir.Http;

/// <summary>
/// A request a source's client refused to send: to another origin (scheme, host and port) than the source's base URL, or
/// over plain <c>http</c> where only <c>https</c> is allowed. Nothing was sent, credentials least of all.
/// </summary>
public sealed class RefusedRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RefusedRequestException()
    {
    }

    /// <summary>Creates the exception with a message naming the source and the origin refused.</summary>
    public RefusedRequestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public RefusedRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
