using Hl7.Fhir.Model;

namespace FhirBridge.TestServer.Http;

/// <summary>A request the server refuses: becomes an HTTP status with an OperationOutcome.</summary>
internal sealed class FhirException : Exception
{
    public FhirException()
        : this(500, OperationOutcome.IssueType.Exception, "Server error")
    {
    }

    public FhirException(string message)
        : this(400, OperationOutcome.IssueType.Invalid, message)
    {
    }

    public FhirException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 400;
        IssueType = OperationOutcome.IssueType.Invalid;
    }

    public FhirException(int status, OperationOutcome.IssueType issueType, string message)
        : base(message)
    {
        Status = status;
        IssueType = issueType;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The OperationOutcome issue code.</summary>
    public OperationOutcome.IssueType IssueType { get; }

    public static FhirException BadRequest(string message) => new(400, OperationOutcome.IssueType.Invalid, message);

    public static FhirException NotFound(string message) => new(404, OperationOutcome.IssueType.NotFound, message);

    public static FhirException Gone(string message) => new(410, OperationOutcome.IssueType.Deleted, message);

    public static FhirException PreconditionFailed(string message) => new(412, OperationOutcome.IssueType.Conflict, message);

    public static FhirException NotSupported(string message) => new(400, OperationOutcome.IssueType.NotSupported, message);
}
