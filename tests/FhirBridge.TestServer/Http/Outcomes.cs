using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.TestServer.Http;

/// <summary>OperationOutcome bodies, serialized with the Firely SDK.</summary>
internal static class Outcomes
{
    private static readonly FhirJsonSerializer Serializer = new();

    public static OperationOutcome Create(OperationOutcome.IssueType code, string diagnostics,
        OperationOutcome.IssueSeverity severity = OperationOutcome.IssueSeverity.Error) =>
        new()
        {
            Issue = [new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics }],
        };

    public static byte[] Bytes(OperationOutcome.IssueType code, string diagnostics,
        OperationOutcome.IssueSeverity severity = OperationOutcome.IssueSeverity.Error) =>
        Serializer.SerializeToBytes(Create(code, diagnostics, severity));

    public static string Json(OperationOutcome.IssueType code, string diagnostics,
        OperationOutcome.IssueSeverity severity = OperationOutcome.IssueSeverity.Error) =>
        Serializer.SerializeToString(Create(code, diagnostics, severity));

    public static byte[] Bytes(Resource resource) => Serializer.SerializeToBytes(resource);
}
