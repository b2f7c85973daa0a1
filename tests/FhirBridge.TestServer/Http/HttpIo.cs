using System.Text.Json;
using FhirBridge.TestServer.Store;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.TestServer.Http;

/// <summary>Reading FHIR JSON bodies and writing answers.</summary>
internal static class HttpIo
{
    public const string FhirJson = "application/fhir+json; charset=utf-8";
    public const string Json = "application/json; charset=utf-8";
    public const string Ndjson = "application/fhir+ndjson";

    private static readonly string[] JsonTypes = ["application/fhir+json", "application/json", "application/json+fhir"];
    private static readonly string[] AcceptedTypes = ["application/fhir+json", "application/json", "application/json+fhir", "*/*", "application/*"];

    public static async Task WriteAsync(HttpContext context, int status, byte[] body, string contentType = FhirJson)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    public static Task WriteOutcomeAsync(HttpContext context, int status, OperationOutcome.IssueType code, string diagnostics,
        OperationOutcome.IssueSeverity severity = OperationOutcome.IssueSeverity.Error) =>
        WriteAsync(context, status, Outcomes.Bytes(code, diagnostics, severity));

    public static void SetVersionHeaders(HttpResponse response, ResourceVersion version)
    {
        response.Headers.ETag = ResourceJson.ETag(version.VersionId);
        response.Headers.LastModified = ResourceJson.FormatHttpDate(version.LastUpdated);
    }

    /// <summary>The value of one preference in the <c>Prefer</c> header (<c>return</c>, <c>handling</c>), or null.</summary>
    public static string? Prefer(HttpRequest request, string name)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var part in (header ?? "").Split(',', ';'))
            {
                var pair = part.Trim().Split('=', 2);
                if (pair[0].Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return pair.Length == 2 ? pair[1].Trim().Trim('"') : "";
                }
            }
        }

        return null;
    }

    /// <summary>406 when the client accepts no JSON (<c>Accept</c> or <c>_format</c>); 415 for a non-JSON body.</summary>
    public static void Negotiate(HttpRequest request)
    {
        if (request.Query.TryGetValue("_format", out var format) && !format.All(f => f is "json" || JsonTypes.Contains(f)))
        {
            throw new FhirException(406, OperationOutcome.IssueType.NotSupported, $"_format={format} is not supported; this server speaks JSON only.");
        }

        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count > 0 && !accept.Any(a => AcceptedTypes.Contains(a.MediaType.Value, StringComparer.OrdinalIgnoreCase)))
        {
            throw new FhirException(406, OperationOutcome.IssueType.NotSupported,
                $"Accept: {request.Headers.Accept} is not supported; this server answers application/fhir+json only.");
        }

        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var contentType = request.ContentType is { } ct && MediaTypeHeaderValue.TryParse(ct, out var parsed) ? parsed.MediaType.Value : null;
            var isForm = contentType == "application/x-www-form-urlencoded";
            if (contentType is not null && !isForm && !JsonTypes.Contains(contentType, StringComparer.OrdinalIgnoreCase))
            {
                throw new FhirException(415, OperationOutcome.IssueType.NotSupported,
                    $"Content-Type {request.ContentType} is not supported; send application/fhir+json.");
            }
        }
    }

    /// <summary>The key under which the request body is kept for <see cref="RecordedRequest.Body"/>.</summary>
    public const string BodyKey = "fhirbridge.test.body";

    public static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var bytes = buffer.ToArray();
        context.Items[BodyKey] = bytes; // so the request log holds exactly the bytes the client sent
        return bytes;
    }

    /// <summary>
    /// The body as a JSON object with a known <c>resourceType</c>, checked by <see cref="ResourceValidator"/> when
    /// <paramref name="validate"/> (400 with the parser's issues otherwise).
    /// </summary>
    public static async Task<JsonElement> ReadResourceAsync(HttpContext context, bool validate)
    {
        var bytes = await ReadBodyAsync(context);
        if (bytes.Length == 0)
        {
            throw FhirException.BadRequest("The request has no body; it needs a FHIR resource in JSON.");
        }

        JsonElement resource;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            resource = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FhirException(400, OperationOutcome.IssueType.Structure, $"The body is not valid JSON: {e.Message}");
        }

        if (ResourceJson.String(resource, "resourceType") is not { } type)
        {
            throw new FhirException(400, OperationOutcome.IssueType.Structure, "The body is not a FHIR resource (a JSON object with resourceType).");
        }

        if (!ModelInfo.IsKnownResource(type))
        {
            throw new FhirException(400, OperationOutcome.IssueType.NotSupported, $"Unknown resource type '{type}'.");
        }

        if (validate)
        {
            ResourceValidator.Validate(bytes);
        }

        return resource;
    }
}
