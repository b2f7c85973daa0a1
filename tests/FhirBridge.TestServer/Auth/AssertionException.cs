namespace FhirBridge.TestServer.Auth;

/// <summary>A client assertion the token endpoint refuses (OAuth <c>invalid_client</c>).</summary>
internal sealed class AssertionException : Exception
{
    public AssertionException()
    {
    }

    public AssertionException(string message)
        : base(message)
    {
    }

    public AssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
