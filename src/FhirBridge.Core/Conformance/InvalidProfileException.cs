namespace FhirBridge.Conformance;

/// <summary>
/// A profile file or element FhirBridge cannot check against: it refuses to start rather than push resources that
/// were never really checked.
/// </summary>
public sealed class InvalidProfileException : Exception
{
    /// <summary>Creates the exception with a message naming the file (or profile and element) and the problem.</summary>
    public InvalidProfileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message naming the file (or profile and element) and the problem, and its cause.</summary>
    public InvalidProfileException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidProfileException()
    {
    }
}
