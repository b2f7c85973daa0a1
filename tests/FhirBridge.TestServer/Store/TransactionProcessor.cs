using System.Globalization;
using FhirBridge.TestServer.Http;
using FhirBridge.TestServer.Search;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirBridge.TestServer.Store;

/// <summary>
/// Writes as FHIR R4 defines them (https://hl7.org/fhir/R4/http.html#transaction): transactions all-or-nothing in the
/// order DELETE, POST, PUT, GET; conditional create (<c>ifNoneExist</c>), conditional update and delete
/// (<c>Type?criteria</c>: none creates, one updates, several is 412); <c>urn:uuid</c> and conditional references inside
/// the Bundle rewritten to the assigned <c>Type/id</c>. Single REST writes go through here too, as one-entry transactions.
/// </summary>
internal sealed class TransactionProcessor(ResourceStore store, string baseUrl, int maxPageSize)
{
    private enum Kind
    {
        Delete,
        Create,
        Update,
        Read,
        Matched,
        Nothing,
    }

    /// <summary>Runs all entries or none; throws <see cref="FhirException"/> naming the entry that failed.</summary>
    public IReadOnlyList<EntryResult> Transaction(IReadOnlyList<EntryRequest> entries, bool resolveReferences)
    {
        lock (store.Sync)
        {
            var undo = new List<(string Type, string Id, int Count)>();
            try
            {
                var plans = entries.Select(Plan).ToList();
                var targets = new HashSet<string>(StringComparer.Ordinal);
                foreach (var plan in plans.Where(p => p.Kind is Kind.Delete or Kind.Create or Kind.Update))
                {
                    if (!targets.Add(plan.Type + "/" + plan.Id))
                    {
                        throw Failed(plan.Entry, FhirException.BadRequest($"{plan.Type}/{plan.Id} is the target of more than one entry."));
                    }
                }

                var replacements = resolveReferences ? ResolveReferences(plans) : null;

                var results = new EntryResult[plans.Count];
                foreach (var kinds in new[] { new[] { Kind.Delete, Kind.Nothing }, [Kind.Create, Kind.Matched], [Kind.Update], [Kind.Read] })
                {
                    for (var i = 0; i < plans.Count; i++)
                    {
                        if (kinds.Contains(plans[i].Kind))
                        {
                            results[i] = Apply(plans[i], undo, replacements);
                        }
                    }
                }

                return results;
            }
            catch (FhirException)
            {
                for (var i = undo.Count - 1; i >= 0; i--)
                {
                    store.Truncate(undo[i].Type, undo[i].Id, undo[i].Count);
                }

                throw;
            }
        }
    }

    /// <summary>Runs each entry on its own; a failed entry gets its status and an OperationOutcome.</summary>
    public IReadOnlyList<EntryResult> Batch(IReadOnlyList<EntryRequest> entries)
    {
        var results = new List<EntryResult>(entries.Count);
        foreach (var entry in entries)
        {
            try
            {
                results.Add(Transaction([entry], resolveReferences: false)[0]);
            }
            catch (FhirException e)
            {
                results.Add(new EntryResult { Status = e.Status, OutcomeJson = Outcomes.Json(e.IssueType, e.Message) });
            }
        }

        return results;
    }

    /// <summary>The live resources of a type matching a query string (conditional interactions). Caller holds Sync.</summary>
    public List<ResourceVersion> Match(string type, string query)
    {
        var parameters = QueryHelpers.ParseQuery(query.StartsWith('?') ? query : "?" + query);
        var search = SearchQuery.Parse(type, parameters, lenient: false, maxPageSize);
        if (!search.HasCriteria)
        {
            throw FhirException.BadRequest($"The condition '{query}' has no search criteria.");
        }

        return store.Live(type).Where(search.Matches).ToList();
    }

    private static FhirException Failed(EntryRequest entry, FhirException e) =>
        entry.Index < 0 ? e : new FhirException(e.Status, e.IssueType, $"Entry {entry.Index}: {e.Message}");

    private static string NewId() => Guid.NewGuid().ToString("N");

    private PlannedEntry Plan(EntryRequest entry)
    {
        try
        {
            return PlanCore(entry);
        }
        catch (FhirException e)
        {
            throw Failed(entry, e);
        }
    }

    private PlannedEntry PlanCore(EntryRequest entry)
    {
        var url = entry.Url;
        if (url.StartsWith(baseUrl, StringComparison.Ordinal))
        {
            url = url[baseUrl.Length..];
        }
        else if (url.Contains("://", StringComparison.Ordinal))
        {
            throw FhirException.BadRequest($"request.url '{entry.Url}' is not on this server.");
        }

        var q = url.IndexOf('?', StringComparison.Ordinal);
        var path = (q < 0 ? url : url[..q]).Trim('/');
        var query = q < 0 ? null : url[(q + 1)..];
        var segments = path.Split('/');
        var type = segments[0];
        if (!store.IsSupported(type))
        {
            throw FhirException.BadRequest($"request.url '{entry.Url}': resource type '{type}' is not supported.");
        }

        if (entry.Resource is { } resource)
        {
            var resourceType = ResourceJson.String(resource, "resourceType");
            if (resourceType != type)
            {
                throw FhirException.BadRequest($"The resource is a {resourceType ?? "(no resourceType)"}, but request.url is for {type}.");
            }
        }

        var bodyId = entry.Resource is { } body ? ResourceJson.String(body, "id") : null;
        PlannedEntry Planned(Kind kind, string? id, ResourceVersion? matched = null) => new(entry, kind, type, id!, matched);

        switch (entry.Method, segments.Length, query)
        {
            case ("GET", 2, null):
                return Planned(Kind.Read, segments[1]);
            case ("DELETE", 2, null):
                return Planned(Kind.Delete, segments[1]);
            case ("DELETE", 1, not null):
                var toDelete = Match(type, query);
                return toDelete.Count switch
                {
                    0 => Planned(Kind.Nothing, null),
                    1 => Planned(Kind.Delete, toDelete[0].Id),
                    _ => throw FhirException.PreconditionFailed($"Conditional delete: {toDelete.Count} {type} resources match '{query}'."),
                };
            case ("POST", 1, null):
                RequireResource(entry);
                if (entry.IfNoneExist is { Length: > 0 } ifNoneExist)
                {
                    var condition = ifNoneExist.StartsWith(type + "?", StringComparison.Ordinal) ? ifNoneExist[(type.Length + 1)..] : ifNoneExist;
                    var existing = Match(type, condition);
                    return existing.Count switch
                    {
                        0 => Planned(Kind.Create, NewId()),
                        1 => Planned(Kind.Matched, existing[0].Id, existing[0]),
                        _ => throw FhirException.PreconditionFailed($"Conditional create: {existing.Count} {type} resources match '{ifNoneExist}'."),
                    };
                }

                return Planned(Kind.Create, NewId());
            case ("PUT", 2, null):
                RequireResource(entry);
                if (bodyId != segments[1])
                {
                    throw FhirException.BadRequest(bodyId is null
                        ? $"The resource has no id; an update of {type}/{segments[1]} must carry id '{segments[1]}'."
                        : $"The resource id '{bodyId}' does not match the id in the URL '{segments[1]}'.");
                }

                return Planned(Kind.Update, segments[1]);
            case ("PUT", 1, not null):
                RequireResource(entry);
                var matches = Match(type, query);
                switch (matches.Count)
                {
                    case 0:
                        return Planned(Kind.Update, bodyId ?? NewId());
                    case 1:
                        if (bodyId is not null && bodyId != matches[0].Id)
                        {
                            throw FhirException.BadRequest(
                                $"Conditional update: the match is {type}/{matches[0].Id} but the resource's id is '{bodyId}'.");
                        }

                        return Planned(Kind.Update, matches[0].Id);
                    default:
                        throw FhirException.PreconditionFailed($"Conditional update: {matches.Count} {type} resources match '{query}'.");
                }

            default:
                throw FhirException.NotSupported($"{entry.Method} {entry.Url} is not supported here.");
        }
    }

    private static void RequireResource(EntryRequest entry)
    {
        if (entry.Resource is null)
        {
            throw FhirException.BadRequest($"{entry.Method} {entry.Url} needs a resource.");
        }
    }

    /// <summary>
    /// What each reference in the Bundle becomes: an entry's <c>fullUrl</c> the <c>Type/id</c> assigned to it, a
    /// conditional reference (<c>Type?criteria</c>) its one match. An unresolvable placeholder fails the transaction.
    /// Caller holds Sync; matches are against the state before the transaction.
    /// </summary>
    private Dictionary<string, string> ResolveReferences(List<PlannedEntry> plans)
    {
        var replacements = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var plan in plans)
        {
            if (plan.Entry.FullUrl is { Length: > 0 } fullUrl && plan.Kind is Kind.Create or Kind.Update or Kind.Matched)
            {
                replacements[fullUrl] = plan.Type + "/" + plan.Id;
            }
        }

        foreach (var plan in plans)
        {
            if (plan.Entry.Resource is not { } resource)
            {
                continue;
            }

            try
            {
                foreach (var reference in ResourceJson.References(resource))
                {
                    if (replacements.ContainsKey(reference))
                    {
                        continue;
                    }

                    if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal))
                    {
                        throw FhirException.BadRequest($"The reference '{reference}' names no entry's fullUrl in this Bundle.");
                    }

                    var q = reference.IndexOf('?', StringComparison.Ordinal);
                    if (q > 0 && reference[..q] is var type && !type.Contains('/', StringComparison.Ordinal) && !type.Contains(':', StringComparison.Ordinal))
                    {
                        if (!store.IsSupported(type))
                        {
                            throw FhirException.BadRequest($"Conditional reference '{reference}': type '{type}' is not supported.");
                        }

                        var matches = Match(type, reference[(q + 1)..]);
                        replacements[reference] = matches.Count == 1
                            ? matches[0].Reference
                            : throw FhirException.PreconditionFailed($"Conditional reference '{reference}' matches {matches.Count} resources, not one.");
                    }
                }
            }
            catch (FhirException e)
            {
                throw Failed(plan.Entry, e);
            }
        }

        return replacements;
    }

    private EntryResult Apply(PlannedEntry plan, List<(string Type, string Id, int Count)> undo, IReadOnlyDictionary<string, string>? replacements)
    {
        var current = plan.Kind is Kind.Nothing or Kind.Matched ? null : store.Current(plan.Type, plan.Id);
        switch (plan.Kind)
        {
            case Kind.Nothing:
                return new EntryResult { Status = 204 };
            case Kind.Matched:
                return new EntryResult { Status = 200, Version = plan.Matched };
            case Kind.Read:
                if (current is null)
                {
                    throw Failed(plan.Entry, FhirException.NotFound($"{plan.Type}/{plan.Id} is not known."));
                }

                return current.IsDeleted
                    ? throw Failed(plan.Entry, FhirException.Gone($"{plan.Type}/{plan.Id} was deleted."))
                    : new EntryResult { Status = 200, Version = current, IncludeResource = true };
            case Kind.Delete:
                if (current is null || current.IsDeleted)
                {
                    return new EntryResult { Status = 204 };
                }

                undo.Add((plan.Type, plan.Id, store.VersionCount(plan.Type, plan.Id)));
                return new EntryResult { Status = 204, Version = store.Write(plan.Type, plan.Id, null, "DELETE") };
            case Kind.Create:
                undo.Add((plan.Type, plan.Id, store.VersionCount(plan.Type, plan.Id)));
                return new EntryResult { Status = 201, Version = store.Write(plan.Type, plan.Id, plan.Entry.Resource, "POST", replacements) };
            default:
                if (plan.Entry.IfMatch is { } ifMatch && ParseETag(ifMatch) != current?.VersionId)
                {
                    throw Failed(plan.Entry, FhirException.PreconditionFailed(
                        $"If-Match {ifMatch}: {plan.Type}/{plan.Id} is at version {current?.VersionId.ToString(CultureInfo.InvariantCulture) ?? "(none)"}."));
                }

                var count = store.VersionCount(plan.Type, plan.Id);
                undo.Add((plan.Type, plan.Id, count));
                return new EntryResult { Status = count == 0 ? 201 : 200, Version = store.Write(plan.Type, plan.Id, plan.Entry.Resource, "PUT", replacements) };
        }
    }

    private static int ParseETag(string etag)
    {
        var text = etag.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return int.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw FhirException.BadRequest($"If-Match '{etag}' is not a version ETag such as W/\"1\".");
    }

    private sealed record PlannedEntry(EntryRequest Entry, Kind Kind, string Type, string Id, ResourceVersion? Matched);
}
