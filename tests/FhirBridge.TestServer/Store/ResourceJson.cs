using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace FhirBridge.TestServer.Store;

/// <summary>
/// Helpers over a resource held as JSON: the server stores what it was sent, plus <c>id</c> and <c>meta</c>, copied with
/// <see cref="Utf8JsonWriter"/> (no object model in between).
/// </summary>
internal static class ResourceJson
{
    /// <summary>An instant as the server writes it: UTC, milliseconds (as HAPI does).</summary>
    public static string FormatInstant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>An HTTP date (<c>Last-Modified</c>).</summary>
    public static string FormatHttpDate(DateTimeOffset instant) => instant.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    public static string ETag(int versionId) => string.Create(CultureInfo.InvariantCulture, $"W/\"{versionId}\"");

    /// <summary>
    /// The resource as stored: <c>resourceType</c>, <c>id</c> and <c>meta</c> first, <c>meta.versionId</c> and
    /// <c>meta.lastUpdated</c> set by the server (other meta elements kept), every <c>reference</c> found in
    /// <paramref name="replacements"/> replaced.
    /// </summary>
    public static string WithIdentity(JsonElement resource, string type, string id, int versionId, DateTimeOffset lastUpdated,
        IReadOnlyDictionary<string, string>? replacements)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", type);
            w.WriteString("id", id);
            w.WriteStartObject("meta");
            w.WriteString("versionId", versionId.ToString(CultureInfo.InvariantCulture));
            w.WriteString("lastUpdated", FormatInstant(lastUpdated));
            if (resource.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in meta.EnumerateObject())
                {
                    if (property.Name is not "versionId" and not "lastUpdated")
                    {
                        property.WriteTo(w);
                    }
                }
            }

            w.WriteEndObject();
            foreach (var property in resource.EnumerateObject())
            {
                if (property.Name is "resourceType" or "id" or "meta")
                {
                    continue;
                }

                if (replacements is { Count: > 0 })
                {
                    w.WritePropertyName(property.Name);
                    Copy(property.Value, w, replacements);
                }
                else
                {
                    property.WriteTo(w);
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Every <c>reference</c> string anywhere in the element.</summary>
    public static IEnumerable<string> References(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var reference in References(item))
                    {
                        yield return reference;
                    }
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "reference" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }
                    else
                    {
                        foreach (var reference in References(property.Value))
                        {
                            yield return reference;
                        }
                    }
                }

                break;
        }
    }

    /// <summary>
    /// A reference as <c>Type/id</c> (absolute URLs and <c>_history</c> stripped), or null for what is not a literal
    /// reference to a resource (contained <c>#x</c>, <c>urn:</c> placeholders, conditional references).
    /// </summary>
    public static string? NormalizeReference(string reference)
    {
        if (reference.Length == 0 || reference[0] == '#' || reference.StartsWith("urn:", StringComparison.Ordinal)
            || reference.Contains('?', StringComparison.Ordinal))
        {
            return null;
        }

        var path = reference;
        var history = path.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            path = path[..history];
        }

        var parts = path.Split('/');
        if (parts.Length < 2 || parts[^1].Length == 0 || !ModelInfo.IsKnownResource(parts[^2]))
        {
            return null;
        }

        return parts[^2] + "/" + parts[^1];
    }

    /// <summary>The elements at <paramref name="path"/> below <paramref name="element"/>, arrays flattened at every step.</summary>
    public static IEnumerable<JsonElement> Select(JsonElement element, IReadOnlyList<string> path, int start = 0)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var found in Select(item, path, start))
                {
                    yield return found;
                }
            }

            yield break;
        }

        if (start == path.Count)
        {
            yield return element;
            yield break;
        }

        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(path[start], out var child))
        {
            foreach (var found in Select(child, path, start + 1))
            {
                yield return found;
            }
        }
    }

    /// <summary>A string property, or null.</summary>
    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static void Copy(JsonElement element, Utf8JsonWriter w, IReadOnlyDictionary<string, string> replacements)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "reference" && property.Value.ValueKind == JsonValueKind.String
                        && replacements.TryGetValue(property.Value.GetString()!, out var replaced))
                    {
                        w.WriteString("reference", replaced);
                    }
                    else
                    {
                        w.WritePropertyName(property.Name);
                        Copy(property.Value, w, replacements);
                    }
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Copy(item, w, replacements);
                }

                w.WriteEndArray();
                break;
            default:
                element.WriteTo(w);
                break;
        }
    }
}
