using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using FhirBridge.TestServer.Search;
using FhirBridge.TestServer.Store;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.TestServer.Http;

/// <summary>The FHIR RESTful API (https://hl7.org/fhir/R4/http.html): CRUD, history, search with paging, transactions.</summary>
internal sealed class RestEndpoints(ServerContext server)
{
    public async Task CapabilitiesAsync(HttpContext context) =>
        await HttpIo.WriteAsync(context, 200, Outcomes.Bytes(CapabilityStatementBuilder.Build(server)));

    public async Task ReadAsync(HttpContext context, RequestInfo info)
    {
        ResourceVersion version;
        lock (server.Store.Sync)
        {
            var history = server.Store.History(info.ResourceType!, info.Id!);
            if (info.VersionId is { } vid)
            {
                if (history is null || !int.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > history.Count)
                {
                    throw FhirException.NotFound($"{info.ResourceType}/{info.Id} has no version '{vid}'.");
                }

                version = history[n - 1];
            }
            else
            {
                version = history is { Count: > 0 } ? history[^1] : throw FhirException.NotFound($"{info.ResourceType}/{info.Id} is not known.");
            }
        }

        if (version.IsDeleted)
        {
            HttpIo.SetVersionHeaders(context.Response, version);
            throw FhirException.Gone($"{version.Reference} was deleted (version {version.VersionId}).");
        }

        HttpIo.SetVersionHeaders(context.Response, version);
        await HttpIo.WriteAsync(context, 200, System.Text.Encoding.UTF8.GetBytes(version.Json!));
    }

    public async Task HistoryAsync(HttpContext context, RequestInfo info)
    {
        ResourceVersion[] versions;
        lock (server.Store.Sync)
        {
            versions = server.Store.History(info.ResourceType!, info.Id!)?.ToArray()
                ?? throw FhirException.NotFound($"{info.ResourceType}/{info.Id} is not known.");
        }

        var body = BundleWriter.History(server.BaseUrl, versions, server.Origin + info.RawTarget.TrimStart('/'), server.Clock.GetUtcNow());
        await HttpIo.WriteAsync(context, 200, body);
    }

    public async Task WriteAsync(HttpContext context, RequestInfo info)
    {
        var request = context.Request;
        var type = info.ResourceType!;
        var query = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        EntryRequest entry = info.Interaction switch
        {
            FhirInteraction.Create => new EntryRequest
            {
                Index = -1,
                Method = "POST",
                Url = type,
                Resource = await HttpIo.ReadResourceAsync(context, server.Options.ValidateResources),
                IfNoneExist = request.Headers["If-None-Exist"].ToString() is { Length: > 0 } ifNoneExist ? ifNoneExist : null,
            },
            FhirInteraction.Update => new EntryRequest
            {
                Index = -1,
                Method = "PUT",
                Url = info.IsConditional ? type + "?" + query : type + "/" + info.Id,
                Resource = await HttpIo.ReadResourceAsync(context, server.Options.ValidateResources),
                IfMatch = request.Headers.IfMatch.ToString() is { Length: > 0 } ifMatch ? ifMatch : null,
            },
            _ => new EntryRequest { Index = -1, Method = "DELETE", Url = info.IsConditional ? type + "?" + query : type + "/" + info.Id },
        };

        var result = server.Transactions.Transaction([entry], resolveReferences: false)[0];
        server.Notifier.Written([result.Version]);
        if (entry.Method == "DELETE")
        {
            if (result.Version is { } deleted)
            {
                HttpIo.SetVersionHeaders(context.Response, deleted);
            }

            await HttpIo.WriteOutcomeAsync(context, 200, OperationOutcome.IssueType.Informational,
                result.Version is { } v ? $"Deleted {v.Reference} (version {v.VersionId})." : "Nothing to delete.",
                OperationOutcome.IssueSeverity.Information);
            return;
        }

        var version = result.Version!;
        var location = server.BaseUrl + version.VersionedReference;
        if (server.TakeModifier(FaultKind.ForeignLocation, info) is { } fault)
        {
            location = server.Rebase(location, fault.ForeignOrigin);
        }

        HttpIo.SetVersionHeaders(context.Response, version);
        if (result.Status == 201)
        {
            context.Response.Headers.Location = location;
        }

        context.Response.Headers.ContentLocation = location;
        switch (HttpIo.Prefer(request, "return"))
        {
            case "minimal":
                context.Response.StatusCode = result.Status;
                context.Response.ContentLength = 0;
                break;
            case "OperationOutcome":
                await HttpIo.WriteOutcomeAsync(context, result.Status, OperationOutcome.IssueType.Informational,
                    $"{(result.Status == 201 ? "Created" : "Updated")} {version.VersionedReference}.", OperationOutcome.IssueSeverity.Information);
                break;
            default:
                await HttpIo.WriteAsync(context, result.Status, System.Text.Encoding.UTF8.GetBytes(version.Json!));
                break;
        }
    }

    public async Task SearchAsync(HttpContext context, RequestInfo info)
    {
        var request = context.Request;
        var type = info.ResourceType!;
        IEnumerable<KeyValuePair<string, StringValues>> parameters = request.Query;
        var selfQuery = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        if (request.Method == "POST")
        {
            if (!request.HasFormContentType)
            {
                throw new FhirException(415, OperationOutcome.IssueType.NotSupported, "POST _search needs an application/x-www-form-urlencoded body.");
            }

            var form = await request.ReadFormAsync(context.RequestAborted);
            parameters = request.Query.Concat(form).ToList();
            selfQuery = string.Join('&', parameters.SelectMany(p => p.Value.Select(v => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(v ?? ""))));
        }

        var query = SearchQuery.Parse(type, parameters, HttpIo.Prefer(request, "handling") == "lenient", server.Options.MaxPageSize);
        List<ResourceVersion> results;
        lock (server.Store.Sync)
        {
            results = query.Order(server.Store.Live(type).Where(query.Matches));
        }

        var self = server.BaseUrl + type + (selfQuery.Length > 0 ? "?" + selfQuery : "");
        var pageSize = query.SummaryCount ? 0 : query.Count ?? server.Options.DefaultPageSize;
        var links = new List<(string, string)> { ("self", self) };
        if (pageSize > 0 && results.Count > pageSize)
        {
            var token = server.Snapshots.Add(new SearchSnapshot(type, results, pageSize));
            links.Add(("next", NextLink(PageUrl(token, pageSize, pageSize), info)));
        }

        var body = BundleWriter.SearchSet(server.BaseUrl, results.Count, results.Take(pageSize), links, server.Clock.GetUtcNow());
        await HttpIo.WriteAsync(context, 200, body);
    }

    public async Task SearchPageAsync(HttpContext context, RequestInfo info)
    {
        var query = context.Request.Query;
        var token = query["_getpages"].ToString();
        if (!server.Snapshots.TryGet(token, out var snapshot))
        {
            throw FhirException.Gone($"Search '{token}' is unknown or expired; start the search again.");
        }

        var offset = Number(query, "_getpagesoffset") ?? 0;
        var count = Math.Min(Number(query, "_count") ?? snapshot.PageSize, server.Options.MaxPageSize);
        var total = snapshot.Results.Count;
        var links = new List<(string, string)>
        {
            ("self", server.Origin + info.RawTarget.TrimStart('/')),
            ("first", PageUrl(token, 0, count)),
        };
        if (offset > 0)
        {
            links.Add(("previous", PageUrl(token, Math.Max(0, offset - count), count)));
        }

        if (count > 0 && offset + count < total)
        {
            links.Add(("next", NextLink(PageUrl(token, offset + count, count), info)));
        }

        var page = snapshot.Results.Skip(offset).Take(count);
        var body = BundleWriter.SearchSet(server.BaseUrl, total, page, links, server.Clock.GetUtcNow());
        await HttpIo.WriteAsync(context, 200, body);
    }

    public async Task TransactionAsync(HttpContext context)
    {
        // Entries are validated one by one below (so the validator's cache works per resource), not the whole Bundle.
        var bundle = await HttpIo.ReadResourceAsync(context, validate: false);
        if (ResourceJson.String(bundle, "resourceType") != "Bundle")
        {
            throw FhirException.BadRequest("POST [base] takes a Bundle of type transaction or batch.");
        }

        var bundleType = ResourceJson.String(bundle, "type");
        if (bundleType is not ("transaction" or "batch"))
        {
            throw FhirException.BadRequest($"POST [base] takes a transaction or batch Bundle, not '{bundleType}'.");
        }

        var entries = new List<EntryRequest>();
        var index = 0;
        foreach (var entry in ResourceJson.Select(bundle, ["entry"]))
        {
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw FhirException.BadRequest($"Entry {index} is not an object.");
            }

            var request = entry.TryGetProperty("request", out var r) ? r : default;
            var method = ResourceJson.String(request, "method");
            var url = ResourceJson.String(request, "url");
            if (method is not ("GET" or "POST" or "PUT" or "DELETE") || string.IsNullOrEmpty(url))
            {
                throw FhirException.BadRequest($"Entry {index}: request.method must be GET, POST, PUT or DELETE and request.url is required.");
            }

            JsonElement? resource = null;
            if (entry.TryGetProperty("resource", out var body) && body.ValueKind == JsonValueKind.Object)
            {
                if (ResourceJson.String(body, "resourceType") is not { } type || !ModelInfo.IsKnownResource(type))
                {
                    throw FhirException.BadRequest($"Entry {index}: the resource has no known resourceType.");
                }

                if (server.Options.ValidateResources)
                {
                    try
                    {
                        ResourceValidator.Validate(JsonMarshal.GetRawUtf8Value(body));
                    }
                    catch (FhirException e)
                    {
                        throw new FhirException(e.Status, e.IssueType, $"Entry {index}: {e.Message}");
                    }
                }

                resource = body;
            }

            entries.Add(new EntryRequest
            {
                Index = index,
                Method = method,
                Url = url,
                FullUrl = ResourceJson.String(entry, "fullUrl"),
                IfNoneExist = ResourceJson.String(request, "ifNoneExist"),
                IfMatch = ResourceJson.String(request, "ifMatch"),
                Resource = resource,
            });
            index++;
        }

        var results = bundleType == "transaction"
            ? server.Transactions.Transaction(entries, resolveReferences: true)
            : server.Transactions.Batch(entries);
        server.Notifier.Written(results.Select(r => r.Version));
        var responseBody = BundleWriter.Response(bundleType + "-response", results, server.Clock.GetUtcNow());
        await HttpIo.WriteAsync(context, 200, responseBody);
    }

    private static int? Number(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var text)
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw FhirException.BadRequest($"{name} must be a non-negative integer.")
            : null;

    private string PageUrl(string token, int offset, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"{server.BaseUrl.TrimEnd('/')}?_getpages={token}&_getpagesoffset={offset}&_count={count}&_bundletype=searchset");

    private string NextLink(string url, RequestInfo info) =>
        server.TakeModifier(FaultKind.ForeignNextLink, info) is { } fault
            ? server.Rebase(url, fault.ForeignOrigin)
            : url;
}
