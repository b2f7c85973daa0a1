namespace FhirBridge.Mapping;

/// <summary>A mapping file that cannot be used: FhirBridge refuses to run on it rather than guess.</summary>
public sealed class InvalidMappingException : Exception
{
    /// <summary>Creates the exception with a message naming the file and the problem.</summary>
    public InvalidMappingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message naming the file and the problem, and its cause.</summary>
    public InvalidMappingException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidMappingException()
    {
    }
}
