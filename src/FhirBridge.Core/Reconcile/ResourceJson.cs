using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Reconcile;

/// <summary>
/// The FHIR JSON of the resources of one reconcile, as UTF-8 in one buffer kept per thread: each resource is written
/// once by Firely's serializer and then hashed, turned into the projection's text and spliced into the change sets'
/// Bundles (<see cref="ChangeSetJson"/>) from those bytes, with no stream, copy or string per step. The bytes are
/// exactly those of <c>FhirJsonSerializer.SerializeToString</c>: the same serializer writing to a
/// <see cref="Utf8JsonWriter"/> with the options that method uses (Firely 6.8, <c>SerializationUtil.WriteJsonToString</c>:
/// not indented, <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>), whose UTF-8 it decodes.
/// </summary>
/// <remarks>
/// Not thread-safe: <see cref="Rent"/> gives the calling thread its own (the recompute workers reconcile at once), and
/// disposing gives it back. Firely's serializer itself is shared: it keeps no state between calls (its caches are
/// concurrent dictionaries, and each call makes its own writer state).
/// </remarks>
internal sealed class ResourceJson : IDisposable
{
    // A buffer grown past this by one huge patient is left to the collector rather than kept by its thread.
    private const int MaxKept = 4 * 1024 * 1024;
    private const string Marker = "fb-splice-";

    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly JsonWriterOptions Options = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ResourceJson? t_free;

    private readonly ArrayBufferWriter<byte> _bytes = new(64 * 1024);
    private readonly Utf8JsonWriter _writer;
    private readonly Dictionary<Resource, Segment> _written = new(ReferenceEqualityComparer.Instance);
    private readonly List<(Parameters Resource, byte[] Json)> _placeholders = [];

    private ResourceJson()
    {
        _writer = new Utf8JsonWriter(_bytes, Options);
    }

    /// <summary>An empty buffer for this thread (a new one when this thread's is in use); dispose it to give it back.</summary>
    public static ResourceJson Rent()
    {
        var json = t_free ?? new ResourceJson();
        t_free = null;
        return json;
    }

    /// <summary>The JSON of <paramref name="resource"/>, written on first use in this reconcile.</summary>
    public Segment Of(Resource resource)
    {
        if (!_written.TryGetValue(resource, out var segment))
        {
            _written[resource] = segment = Write(resource);
        }

        return segment;
    }

    /// <summary>Writes the JSON of <paramref name="instance"/> (again, if it was written before).</summary>
    public Segment Write(Base instance)
    {
        var start = _bytes.WrittenCount;
        _writer.Reset();
        Serializer.Serialize(instance, _writer);
        _writer.Flush();
        return new Segment(start, _bytes.WrittenCount - start);
    }

    /// <summary>The bytes of a segment, valid until the next write.</summary>
    public ReadOnlySpan<byte> this[Segment segment] => _bytes.WrittenSpan.Slice(segment.Start, segment.Length);

    /// <summary>The text of a segment.</summary>
    public string Text(Segment segment) => Encoding.UTF8.GetString(this[segment]);

    /// <summary>
    /// The <paramref name="index"/>th stand-in for a resource in a Bundle, and its JSON: a tiny resource the change
    /// set's JSON replaces with the real one. Reused from one change set to the next on this thread.
    /// </summary>
    public (Parameters Resource, byte[] Json) Placeholder(int index)
    {
        while (_placeholders.Count <= index)
        {
            var id = Marker + _placeholders.Count.ToString(CultureInfo.InvariantCulture);
            _placeholders.Add((new Parameters { Id = id }, Encoding.UTF8.GetBytes("{\"resourceType\":\"Parameters\",\"id\":\"" + id + "\"}")));
        }

        return _placeholders[index];
    }

    /// <summary>One string of the segments' bytes, in order.</summary>
    public string Concat(ReadOnlySpan<Segment> parts)
    {
        var length = 0;
        foreach (var part in parts)
        {
            length += part.Length;
        }

        // Asking for the room first: it may move the buffer, so the parts are read from it after.
        var into = _bytes.GetSpan(length)[..length];
        var written = _bytes.WrittenSpan;
        var at = 0;
        foreach (var part in parts)
        {
            written.Slice(part.Start, part.Length).CopyTo(into[at..]);
            at += part.Length;
        }

        return Encoding.UTF8.GetString(into);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _written.Clear(); // the resources are the caller's: not kept alive by this thread
        _bytes.ResetWrittenCount();
        _writer.Reset();
        if (_bytes.Capacity <= MaxKept)
        {
            t_free = this;
        }
    }

    /// <summary>Where one piece of JSON lies in the buffer.</summary>
    /// <param name="Start">Its first byte.</param>
    /// <param name="Length">Its length in bytes.</param>
    internal readonly record struct Segment(int Start, int Length);
}
