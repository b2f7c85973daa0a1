using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FhirBridge.TestServer.Http;

/// <summary>Maps a request's method and path to a <see cref="RequestInfo"/> (the server's routing table).</summary>
internal static class RequestClassifier
{
    public static RequestInfo Classify(HttpContext context, ServerContext server)
    {
        var request = context.Request;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var rawTarget = string.IsNullOrEmpty(raw) ? request.Path.ToUriComponent() + request.QueryString.ToUriComponent() : raw;
        var path = request.Path.Value ?? "/";
        var method = request.Method;

        RequestInfo Info(FhirInteraction interaction, string? type = null, string? id = null, string? versionId = null,
            FhirException? error = null, string? jobId = null, string? fileName = null, bool conditional = false) =>
            new()
            {
                Interaction = interaction,
                IsForeign = server.ForeignPort != 0 && context.Connection.LocalPort == server.ForeignPort
                    && Equals(context.Connection.LocalIpAddress?.MapToIPv4(), server.ForeignAddress),
                RawTarget = rawTarget,
                ResourceType = type,
                Id = id,
                VersionId = versionId,
                Error = error,
                JobId = jobId,
                FileName = fileName,
                IsConditional = conditional,
            };

        RequestInfo NotAllowed(FhirInteraction interaction, string? type = null) =>
            Info(interaction, type, error: new FhirException(405, OperationOutcome.IssueType.NotSupported, $"{method} is not allowed on {path}."));

        if (path == "/auth/token")
        {
            return method == "POST" ? Info(FhirInteraction.Token) : NotAllowed(FhirInteraction.Token);
        }

        if (path != "/fhir" && !path.StartsWith("/fhir/", StringComparison.Ordinal))
        {
            return Info(FhirInteraction.Unknown, error: FhirException.NotFound($"Nothing is served at {path}; the FHIR base is {server.BaseUrl}."));
        }

        var rest = path.Length > 6 ? path[6..].TrimEnd('/') : "";
        string[] s = rest.Length == 0 ? [] : rest.Split('/');
        var hasQuery = request.QueryString.HasValue && request.QueryString.Value!.Length > 1;

        switch (s.Length)
        {
            case 0:
                if (method == "POST")
                {
                    return Info(FhirInteraction.Transaction);
                }

                if (method == "GET" && request.Query.TryGetValue("_getpages", out var token))
                {
                    var type = server.Snapshots.TryGet(token.ToString(), out var snapshot) ? snapshot.Type : null;
                    return Info(FhirInteraction.SearchPage, type);
                }

                return Info(FhirInteraction.Unknown, error: FhirException.NotSupported("Searching across all types is not supported."));
            case 1 when s[0] == "metadata":
                return method == "GET" ? Info(FhirInteraction.Capabilities) : NotAllowed(FhirInteraction.Capabilities);
            case 2 when s[0] == ".well-known" && s[1] == "smart-configuration":
                return method == "GET" ? Info(FhirInteraction.SmartConfiguration) : NotAllowed(FhirInteraction.SmartConfiguration);
            case 1 when s[0] == "$export":
                return method == "GET" ? Info(FhirInteraction.ExportKickoff) : NotAllowed(FhirInteraction.ExportKickoff);
            case 1 when s[0] == "$export-poll-status":
                var jobId = request.Query["_jobId"].ToString();
                return method switch
                {
                    "GET" => Info(FhirInteraction.ExportStatus, jobId: jobId),
                    "DELETE" => Info(FhirInteraction.ExportCancel, jobId: jobId),
                    _ => NotAllowed(FhirInteraction.ExportStatus),
                };
            case 3 when s[0] == "_export":
                return method == "GET" ? Info(FhirInteraction.ExportFile, jobId: s[1], fileName: s[2]) : NotAllowed(FhirInteraction.ExportFile);
        }

        var resourceType = s[0];
        if (!server.Store.IsSupported(resourceType))
        {
            var message = ModelInfo.IsKnownResource(resourceType)
                ? $"Resource type '{resourceType}' is not supported by this server."
                : $"Unknown resource type '{resourceType}'.";
            return Info(FhirInteraction.Unknown, error: FhirException.NotFound(message));
        }

        return (s.Length, method) switch
        {
            (1, "GET") => Info(FhirInteraction.Search, resourceType),
            (1, "POST") => Info(FhirInteraction.Create, resourceType),
            (1, "PUT") when hasQuery => Info(FhirInteraction.Update, resourceType, conditional: true),
            (1, "DELETE") when hasQuery => Info(FhirInteraction.Delete, resourceType, conditional: true),
            (2, "POST") when s[1] == "_search" => Info(FhirInteraction.Search, resourceType),
            (2, "GET") when s[1] == "$export" && resourceType == "Patient" => Info(FhirInteraction.ExportKickoff, resourceType),
            (2, "GET") => Info(FhirInteraction.Read, resourceType, s[1]),
            (2, "PUT") => Info(FhirInteraction.Update, resourceType, s[1]),
            (2, "DELETE") => Info(FhirInteraction.Delete, resourceType, s[1]),
            (3, "GET") when s[2] == "$export" && resourceType == "Group" => Info(FhirInteraction.ExportKickoff, resourceType, s[1]),
            (3, "GET") when s[2] == "_history" => Info(FhirInteraction.History, resourceType, s[1]),
            (4, "GET") when s[2] == "_history" => Info(FhirInteraction.VRead, resourceType, s[1], s[3]),
            (1 or 2 or 3 or 4, _) => NotAllowed(FhirInteraction.Unknown, resourceType),
            _ => Info(FhirInteraction.Unknown, resourceType, error: FhirException.NotFound($"Nothing is served at {path}.")),
        };
    }
}
