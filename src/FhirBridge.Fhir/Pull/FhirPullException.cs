namespace FhirBridge.Fhir.Pull;

/// <summary>
/// A pull that could not finish. The message names the source and what failed (resource type, page, file), never patient
/// data or a secret; what was stored before stays stored, and the watermarks of the unfinished part did not advance.
/// </summary>
public sealed class FhirPullException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FhirPullException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public FhirPullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public FhirPullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
