using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FhirBridge.TestServer.Http;
using FhirBridge.TestServer.Search;
using FhirBridge.TestServer.Store;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.TestServer.Export;

/// <summary>
/// FHIR Bulk Data Access v2 (https://hl7.org/fhir/uv/bulkdata/export.html): system, Patient and Group kick-off with
/// <c>_type</c>, <c>_since</c> and <c>_outputFormat</c>; a status URL polled until the manifest; NDJSON files; cancel.
/// </summary>
internal sealed class ExportEndpoints(ServerContext server)
{
    private static readonly HashSet<string> OutputFormats = new(StringComparer.Ordinal)
    {
        "application/fhir+ndjson", "application/ndjson", "ndjson",
    };

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "_type", "_since", "_outputFormat" };

    public async Task KickoffAsync(HttpContext context, RequestInfo info)
    {
        var request = context.Request;
        if (HttpIo.Prefer(request, "respond-async") is null)
        {
            throw FhirException.BadRequest("A Bulk Data kick-off needs the header Prefer: respond-async.");
        }

        var lenient = HttpIo.Prefer(request, "handling") == "lenient";
        foreach (var name in request.Query.Keys.Where(k => !Known.Contains(k)))
        {
            if (!lenient)
            {
                throw FhirException.NotSupported($"Bulk Data parameter '{name}' is not supported (_type, _since, _outputFormat).");
            }
        }

        if (request.Query.TryGetValue("_outputFormat", out var format) && !OutputFormats.Contains(format.ToString()))
        {
            throw FhirException.NotSupported($"_outputFormat={format} is not supported; use application/fhir+ndjson.");
        }

        DateTimeOffset? since = null;
        if (request.Query.TryGetValue("_since", out var sinceText))
        {
            if (!FhirDates.TryParseInstant(sinceText.ToString(), out var parsed))
            {
                var hint = sinceText.ToString().Contains(' ', StringComparison.Ordinal) ? " (send '+' as %2B)" : "";
                throw FhirException.BadRequest($"_since={sinceText} is not a FHIR instant{hint}.");
            }

            since = parsed;
        }

        var scope = info.ResourceType switch
        {
            null => "system",
            "Patient" => "patient",
            _ => "group",
        };
        string[]? requested = null;
        if (request.Query.TryGetValue("_type", out var typeText))
        {
            requested = typeText.SelectMany(t => (t ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Distinct(StringComparer.Ordinal).ToArray();
            var unsupported = requested.Where(t => !server.Store.IsSupported(t)).ToArray();
            if (unsupported.Length > 0 && !lenient)
            {
                throw FhirException.NotSupported($"_type: {string.Join(", ", unsupported)} not supported by this server.");
            }

            requested = requested.Where(server.Store.IsSupported).ToArray();
        }

        var types = requested ?? (scope == "system"
            ? server.Store.Types.ToArray()
            : server.Store.Types.Where(t => t == "Patient" || SearchParameters.HasPatientCompartment(t)).ToArray());

        DateTimeOffset transactionTime;
        var selected = new List<(string Type, List<ResourceVersion> Versions)>();
        lock (server.Store.Sync)
        {
            HashSet<string>? members = null;
            if (scope == "group")
            {
                members = GroupMembers(info.Id!);
            }

            transactionTime = server.Store.Watermark();
            foreach (var type in types)
            {
                var versions = server.Store.Live(type).Where(v => since is null || v.LastUpdated > since);
                if (scope != "system")
                {
                    versions = type == "Patient"
                        ? versions.Where(v => members is null || members.Contains(v.Reference))
                        : SearchParameters.HasPatientCompartment(type)
                            ? versions.Where(v => v.Index.ReferencesOf("patient").Any(r => members is null || members.Contains(r)))
                            : [];
                }

                selected.Add((type, versions.OrderBy(v => v.LastUpdated).ThenBy(v => v.Id, StringComparer.Ordinal).ToList()));
            }
        }

        var max = server.Options.ExportMaxResourcesPerFile;
        var files = new List<ExportFile>();
        foreach (var (type, versions) in selected)
        {
            for (var start = 0; start < versions.Count; start += max)
            {
                var chunk = versions.Skip(start).Take(max).ToList();
                var name = string.Create(CultureInfo.InvariantCulture, $"{type}-{(start / max) + 1}.ndjson");
                files.Add(new ExportFile(name, type, chunk.Count, Ndjson(chunk.Select(v => v.Json!))));
            }
        }

        var job = new ExportJob
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            RequestUrl = server.Origin + info.RawTarget.TrimStart('/'),
            TransactionTime = transactionTime,
            Output = files,
            RequiresAccessToken = server.Options.Auth.Kind != FhirTestAuthKind.None,
            PendingPolls = server.Options.ExportPendingPolls,
        };
        server.ExportJobs[job.Id] = job;

        var location = server.BaseUrl + "$export-poll-status?_jobId=" + job.Id;
        if (server.TakeModifier(FaultKind.ForeignLocation, info) is { } fault)
        {
            location = server.Rebase(location, fault.ForeignOrigin);
        }

        context.Response.Headers.ContentLocation = location;
        await HttpIo.WriteOutcomeAsync(context, 202, OperationOutcome.IssueType.Informational,
            $"Export job {job.Id} accepted; poll {location}.", OperationOutcome.IssueSeverity.Information);
    }

    public async Task StatusAsync(HttpContext context, RequestInfo info)
    {
        var job = Job(info);
        var poll = job.Poll();
        if (poll <= job.PendingPolls)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(server.Options.ExportRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["X-Progress"] = string.Create(CultureInfo.InvariantCulture, $"in progress (poll {poll} of {job.PendingPolls})");
            context.Response.StatusCode = 202;
            context.Response.ContentLength = 0;
            return;
        }

        byte[] manifest;
        lock (job.Sync)
        {
            job.Manifest ??= Manifest(job, info);
            manifest = job.Manifest;
        }

        context.Response.Headers.Expires = ResourceJson.FormatHttpDate(server.Clock.GetUtcNow().AddHours(1));
        await HttpIo.WriteAsync(context, 200, manifest, HttpIo.Json);
    }

    public async Task CancelAsync(HttpContext context, RequestInfo info)
    {
        var job = Job(info);
        server.ExportJobs.TryRemove(job.Id, out _);
        await HttpIo.WriteOutcomeAsync(context, 202, OperationOutcome.IssueType.Informational,
            $"Export job {job.Id} cancelled; its files are gone.", OperationOutcome.IssueSeverity.Information);
    }

    public async Task FileAsync(HttpContext context, RequestInfo info)
    {
        var job = Job(info);
        ExportFile? file;
        lock (job.Sync)
        {
            file = job.File(info.FileName ?? "");
        }

        if (file is null)
        {
            throw FhirException.NotFound($"Export job {job.Id} has no file '{info.FileName}'.");
        }

        await HttpIo.WriteAsync(context, 200, file.Content, HttpIo.Ndjson);
    }

    private static byte[] Ndjson(IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private ExportJob Job(RequestInfo info) =>
        server.ExportJobs.TryGetValue(info.JobId ?? "", out var job)
            ? job
            : throw FhirException.NotFound($"No export job '{info.JobId}' (never started, cancelled, or unknown).");

    /// <summary>The Patient references a Group's members name. Caller holds the store's lock.</summary>
    private HashSet<string> GroupMembers(string groupId)
    {
        var group = server.Store.Current("Group", groupId) ?? throw FhirException.NotFound($"Group/{groupId} is not known.");
        if (group.IsDeleted)
        {
            throw FhirException.Gone($"Group/{groupId} was deleted.");
        }

        using var document = JsonDocument.Parse(group.Json!);
        return ResourceJson.Select(document.RootElement, ["member", "entity"])
            .Select(e => ResourceJson.String(e, "reference"))
            .OfType<string>()
            .Select(ResourceJson.NormalizeReference)
            .OfType<string>()
            .Where(r => r.StartsWith("Patient/", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
    }

    private byte[] Manifest(ExportJob job, RequestInfo info)
    {
        var origin = server.Origin;
        if (server.TakeModifier(FaultKind.ForeignManifestUrl, info) is { } foreign)
        {
            origin = server.Rebase(server.Origin, foreign.ForeignOrigin);
        }

        while (server.TakeModifier(FaultKind.ExportErrorFile, info) is { } error)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"OperationOutcome-{job.Errors.Count + 1}.ndjson");
            job.Errors.Add(new ExportFile(name, "OperationOutcome", 1,
                Ndjson([Outcomes.Json(OperationOutcome.IssueType.Processing, error.Diagnostics ?? "Export error")])));
        }

        string Url(ExportFile file) => origin + "fhir/_export/" + job.Id + "/" + file.Name;

        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("transactionTime", ResourceJson.FormatInstant(job.TransactionTime));
            w.WriteString("request", job.RequestUrl);
            w.WriteBoolean("requiresAccessToken", job.RequiresAccessToken);
            foreach (var (name, files) in new[] { ("output", job.Output), ("error", (IReadOnlyList<ExportFile>)job.Errors) })
            {
                w.WriteStartArray(name);
                foreach (var file in files)
                {
                    w.WriteStartObject();
                    w.WriteString("type", file.Type);
                    w.WriteString("url", Url(file));
                    w.WriteNumber("count", file.Count);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
