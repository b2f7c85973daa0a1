namespace FhirBridge.Fhir.Http;

/// <summary>
/// Credentials could not be had: a secret file is missing, a private key is unusable, or the token endpoint refused the
/// client. The message names the source and the setting or the server's OAuth error, never a secret.
/// </summary>
public sealed class FhirAuthException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FhirAuthException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FhirAuthException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public FhirAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
