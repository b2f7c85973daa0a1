using System.Buffers;
using System.Text.Json;
using FhirBridge.TestServer.Store;

namespace FhirBridge.TestServer.Search;

/// <summary>Bundles written straight from stored JSON, so resources go out exactly as they were stored.</summary>
internal static class BundleWriter
{
    public static byte[] SearchSet(string baseUrl, int total, IEnumerable<ResourceVersion> entries,
        IEnumerable<(string Relation, string Url)> links, DateTimeOffset now)
    {
        return Write(w =>
        {
            Header(w, "searchset", now);
            w.WriteNumber("total", total);
            w.WriteStartArray("link");
            foreach (var (relation, url) in links)
            {
                w.WriteStartObject();
                w.WriteString("relation", relation);
                w.WriteString("url", url);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            var any = false;
            foreach (var version in entries)
            {
                if (!any)
                {
                    w.WriteStartArray("entry");
                    any = true;
                }

                w.WriteStartObject();
                w.WriteString("fullUrl", baseUrl + version.Reference);
                w.WritePropertyName("resource");
                w.WriteRawValue(version.Json!, skipInputValidation: true);
                w.WriteStartObject("search");
                w.WriteString("mode", "match");
                w.WriteEndObject();
                w.WriteEndObject();
            }

            if (any)
            {
                w.WriteEndArray();
            }
        });
    }

    /// <summary>An instance history, newest version first (https://hl7.org/fhir/R4/http.html#history).</summary>
    public static byte[] History(string baseUrl, IReadOnlyList<ResourceVersion> versions, string selfUrl, DateTimeOffset now)
    {
        return Write(w =>
        {
            Header(w, "history", now);
            w.WriteNumber("total", versions.Count);
            w.WriteStartArray("link");
            w.WriteStartObject();
            w.WriteString("relation", "self");
            w.WriteString("url", selfUrl);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("entry");
            foreach (var version in versions.Reverse())
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", baseUrl + version.Reference);
                if (version.Json is { } json)
                {
                    w.WritePropertyName("resource");
                    w.WriteRawValue(json, skipInputValidation: true);
                }

                w.WriteStartObject("request");
                w.WriteString("method", version.Method);
                w.WriteString("url", version.Method == "POST" ? version.Type : version.Reference);
                w.WriteEndObject();
                w.WriteStartObject("response");
                w.WriteString("status", version.IsDeleted ? "204 No Content" : version.VersionId == 1 ? "201 Created" : "200 OK");
                w.WriteString("etag", ResourceJson.ETag(version.VersionId));
                w.WriteString("lastModified", ResourceJson.FormatInstant(version.LastUpdated));
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>A <c>transaction-response</c> or <c>batch-response</c>, entries in request order.</summary>
    public static byte[] Response(string type, IReadOnlyList<EntryResult> results, DateTimeOffset now)
    {
        return Write(w =>
        {
            Header(w, type, now);
            w.WriteStartArray("entry");
            foreach (var result in results)
            {
                w.WriteStartObject();
                if (result.IncludeResource && result.Version?.Json is { } json)
                {
                    w.WritePropertyName("resource");
                    w.WriteRawValue(json, skipInputValidation: true);
                }

                w.WriteStartObject("response");
                w.WriteString("status", result.StatusLine);
                if (result.Version is { } version)
                {
                    w.WriteString("location", version.VersionedReference);
                    w.WriteString("etag", ResourceJson.ETag(version.VersionId));
                    w.WriteString("lastModified", ResourceJson.FormatInstant(version.LastUpdated));
                }

                if (result.OutcomeJson is { } outcome)
                {
                    w.WritePropertyName("outcome");
                    w.WriteRawValue(outcome, skipInputValidation: true);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static void Header(Utf8JsonWriter w, string type, DateTimeOffset now)
    {
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString("N"));
        w.WriteStartObject("meta");
        w.WriteString("lastUpdated", ResourceJson.FormatInstant(now));
        w.WriteEndObject();
        w.WriteString("type", type);
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
