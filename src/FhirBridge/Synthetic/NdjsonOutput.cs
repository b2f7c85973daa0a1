using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Cli.Synthetic;

/// <summary>
/// One Bulk-Data-style NDJSON file per resource type: one compact resource per line, <c>\n</c> line ends, UTF-8 without
/// a byte order mark. Lines are written as they come, so memory does not grow with the number of patients.
/// </summary>
internal sealed class NdjsonOutput : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        // Keeps '+' in "+08:00" and other harmless characters unescaped; the output stays valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly FhirJsonSerializer _serializer = new();
    private readonly Sink[] _sinks;
    private readonly SyntheticIdStyle _ids;

    public NdjsonOutput(string directory, SyntheticIdStyle ids = SyntheticIdStyle.Numbered)
    {
        _ids = ids;
        Directory.CreateDirectory(directory);
        _sinks = new Sink[SyntheticHospital.ResourceTypes.Count];
        for (var i = 0; i < _sinks.Length; i++)
        {
            _sinks[i] = new Sink(Path.Combine(directory, SyntheticHospital.ResourceTypes[i] + ".ndjson"));
        }
    }

    public void Write(Resource resource)
    {
        if (_ids == SyntheticIdStyle.Opaque)
        {
            resource = Opaque(resource);
        }

        var sink = SinkFor(resource.TypeName);
        _serializer.Serialize(resource, sink.Writer);
        sink.Writer.Flush();
        sink.Writer.Reset();
        sink.Buffer.Write("\n"u8);
        sink.Stream.Write(sink.Buffer.WrittenSpan);
        sink.Buffer.ResetWrittenCount();
        sink.Lines++;
    }

    public SortedDictionary<string, int> LineCounts()
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _sinks.Length; i++)
        {
            counts[SyntheticHospital.ResourceTypes[i]] = _sinks[i].Lines;
        }

        return counts;
    }

    public void Dispose()
    {
        foreach (var sink in _sinks)
        {
            sink.Dispose();
        }
    }

    // A copy with opaque ids: the generator may write the same object again after changing it (a later version).
    private static Resource Opaque(Resource resource)
    {
        var copy = (Resource)resource.DeepCopy();
        copy.Id = SyntheticHospital.OpaqueId(copy.Id ?? throw new InvalidOperationException($"The generator wrote a {copy.TypeName} without an id."));
        RenameReferences(copy);
        return copy;
    }

    // Every relative reference ("Type/id") anywhere in the resource names the opaque id; the generator writes no other kind.
    private static void RenameReferences(Base element)
    {
        foreach (var (_, value) in element.EnumerateElements())
        {
            foreach (var child in value is IEnumerable<Base> list ? list : [(Base)value])
            {
                if (child is ResourceReference { Reference: { } reference } link)
                {
                    var slash = reference.IndexOf('/', StringComparison.Ordinal);
                    if (slash <= 0 || reference.IndexOf('/', slash + 1) >= 0)
                    {
                        throw new InvalidOperationException($"The generator wrote a reference that is not Type/id: {reference}");
                    }

                    link.Reference = reference[..(slash + 1)] + SyntheticHospital.OpaqueId(reference[(slash + 1)..]);
                }

                RenameReferences(child);
            }
        }
    }

    private Sink SinkFor(string typeName)
    {
        for (var i = 0; i < _sinks.Length; i++)
        {
            if (string.Equals(SyntheticHospital.ResourceTypes[i], typeName, StringComparison.Ordinal))
            {
                return _sinks[i];
            }
        }

        throw new InvalidOperationException($"No NDJSON file for resource type {typeName}.");
    }

    private sealed class Sink : IDisposable
    {
        public Sink(string path)
        {
            Stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1 << 16);
            Writer = new Utf8JsonWriter(Buffer, WriterOptions);
        }

        public FileStream Stream { get; }

        /// <summary>One line at a time; the writer never flushes the file stream itself.</summary>
        public ArrayBufferWriter<byte> Buffer { get; } = new(4096);

        public Utf8JsonWriter Writer { get; }

        public int Lines { get; set; }

        public void Dispose()
        {
            Writer.Dispose();
            Stream.Dispose();
        }
    }
}
