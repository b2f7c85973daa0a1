using System.Globalization;
using System.Text.Json;
using NodaTime;

namespace FhirBridge.MappingLog;

/// <summary>Writes the mapping log as NDJSON, one decision a line, stamped with the time it holds as of.</summary>
public sealed class MappingLogWriter(TextWriter writer, OffsetDateTime time) : IDisposable
{
    private readonly string _time = time.ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", CultureInfo.InvariantCulture);
    // Readable escaping: the log is read by people; it is never embedded in HTML unescaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly MemoryStream _buffer = new();

    /// <summary>Writes one entry.</summary>
    public void Write(MappingLogEntry entry)
    {
        _buffer.SetLength(0);
        using (var json = new Utf8JsonWriter(_buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("time", _time);
            json.WriteString("source", entry.Source);
            json.WriteString("decision", entry.Decision);
            json.WriteString("rule", entry.Rule);
            WriteIfPresent(json, "reason", entry.Reason);
            WriteArray(json, "codes", entry.Codes);
            WriteIfPresent(json, "prefix", entry.Prefix);
            WriteIfPresent(json, "index", entry.Index);
            WriteArray(json, "evidence", entry.Evidence);
            WriteIfPresent(json, "detail", entry.Detail);
            json.WriteEndObject();
        }

        writer.Write(System.Text.Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length));
        writer.Write('\n');
    }

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();

    private static void WriteIfPresent(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteArray(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var v in values)
        {
            json.WriteStringValue(v);
        }

        json.WriteEndArray();
    }
}
