namespace FhirBridge.Fhir.Http;

/// <summary>
/// A successful response whose JSON body is not well-formed (cut off, corrupt): treated as a transient failure, so a GET
/// is retried. The message says where the body broke, never what it contained.
/// </summary>
public sealed class MalformedResponseException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MalformedResponseException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MalformedResponseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public MalformedResponseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
