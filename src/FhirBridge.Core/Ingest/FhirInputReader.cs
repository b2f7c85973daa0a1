using System.Text.Json;
using System.Text.RegularExpressions;
using FhirBridge.Timeline;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace FhirBridge.Ingest;

/// <summary>
/// The INGEST stage's one way in for FHIR R4 JSON: single resources, Bundles of any type, and Bulk Data NDJSON
/// (one resource per line, any file ending <c>.ndjson</c>). Bad input never stops a run and is never dropped: a
/// malformed line, an unknown resource type or a resource failing the SDK's own validation comes back quarantined,
/// with its origin and reason (spec, "Data handling: Bad input"), and with the <see cref="InputFingerprint"/> of
/// its text, so the store can tell it from a different bad input met later at the same origin.
/// </summary>
public sealed partial class FhirInputReader
{
    // Recoverable: hospital data is read as far as it goes; what it could not read shows up in validation below.
    private static readonly FhirJsonSerializer Serializer = new();

    private readonly FhirJsonDeserializer _deserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

    /// <summary>Reads a file, or every <c>*.json</c> and <c>*.ndjson</c> file under a directory (recursively, in ordinal path order).</summary>
    /// <exception cref="FileNotFoundException">The path is neither a file nor a directory.</exception>
    public IEnumerable<IngestResult> ReadPath(string path)
    {
        if (File.Exists(path))
        {
            return ReadFile(path, Path.GetFileName(path));
        }

        if (Directory.Exists(path))
        {
            return FhirFilesUnder(path).SelectMany(f => ReadFile(f, Path.GetRelativePath(path, f).Replace('\\', '/')));
        }

        throw new FileNotFoundException($"input not found: {path}", path);
    }

    /// <summary>
    /// Every file the reader takes (<see cref="IsFhirFile"/>) under <paramref name="directory"/> and its subfolders, in
    /// ordinal path order. Symbolic links to folders are followed, but each real folder is read once: a link to a
    /// folder already read, or a link back up the tree, would otherwise read the same files again at every level the
    /// system allows (a loop made a 70k backfill's ingest take 490 s instead of 20 s, docs/benchmarks.md).
    /// </summary>
    public static IReadOnlyList<string> FhirFilesUnder(string directory)
    {
        var files = new List<string>();
        var read = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Path, string Real)>();
        pending.Push((directory, RealFolder(directory)));
        while (pending.TryPop(out var folder))
        {
            if (!read.Add(folder.Real))
            {
                continue;
            }

            files.AddRange(Directory.EnumerateFiles(folder.Path).Where(IsFhirFile));
            foreach (var sub in Directory.EnumerateDirectories(folder.Path))
            {
                // A plain subfolder's real path follows from its parent's; a link's is where it finally points.
                var real = new DirectoryInfo(sub).LinkTarget is null ? Path.Combine(folder.Real, Path.GetFileName(sub)) : RealFolder(sub);
                pending.Push((sub, real));
            }
        }

        return [.. files.Order(StringComparer.Ordinal)];
    }

    private static string RealFolder(string folder) =>
        Path.TrimEndingDirectorySeparator(new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(folder));

    /// <summary>True for the file names the reader takes from a directory.</summary>
    public static bool IsFhirFile(string path) =>
        path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads NDJSON: one resource per line; blank lines are skipped.</summary>
    public IEnumerable<IngestResult> ReadNdjson(TextReader reader, string origin)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                foreach (var result in ReadJson(line, $"{origin}:{number}"))
                {
                    yield return result;
                }
            }
        }
    }

    /// <summary>Reads one JSON resource; a Bundle yields each of its entries.</summary>
    public IEnumerable<IngestResult> ReadJson(string json, string origin)
    {
        // The fast path proves the resource valid in one pass over its bytes and gives the same result; anything it
        // cannot prove (and every Bundle) goes the Firely way below, so what is quarantined, and why, is unchanged.
        if (StrictResourceReader.TryRead(json, origin, out var fast))
        {
            return [fast];
        }

        return ReadJsonWithFirely(json, origin);
    }

    /// <summary>
    /// Reads one JSON resource the Firely way only: the SDK's deserializer and validation, without the fast path of
    /// <see cref="StrictResourceReader"/>. The reference the fast path is held to (tests, benchmarks).
    /// </summary>
    /// <param name="json">One resource, or a Bundle.</param>
    /// <param name="origin">The origin to give the results.</param>
    public IEnumerable<IngestResult> ReadJsonWithFirely(string json, string origin)
    {
        Resource? resource;
        string? failure;
        try
        {
            failure = _deserializer.TryDeserializeResource(json, out resource, out var issues)
                ? null
                : Describe(issues.Select(i => i.Message));
        }
        catch (JsonException e)
        {
            // The reader's message gives the position and may quote the offending character: masked like any value.
            (resource, failure) = (null, $"malformed JSON: {Describe([e.Message])}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // JSON that is not an object (an array, a number), or that trips the SDK itself (seen: an empty property
            // name throws IndexOutOfRangeException inside the deserializer): bad input, never fatal (spec, "Bad input").
            (resource, failure) = (null, $"not a FHIR resource ({e.GetType().Name}): {Describe([e.Message])}");
        }

        if (resource is null || failure is not null)
        {
            return [new IngestResult(origin, null, null, failure ?? "not a FHIR resource") { Fingerprint = InputFingerprint.Of(json) }];
        }

        return resource is Bundle bundle
            ? ReadBundle(bundle, origin, json)
            : [Fingerprinted(Accept(resource, origin, ResourceKey.Parse, json), () => InputFingerprint.Of(json))];
    }

    private IEnumerable<IngestResult> ReadFile(string file, string origin)
    {
        if (file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            using var reader = new StreamReader(file);
            foreach (var result in ReadNdjson(reader, origin))
            {
                yield return result;
            }
        }
        else
        {
            foreach (var result in ReadJson(File.ReadAllText(file), origin))
            {
                yield return result;
            }
        }
    }

    private IEnumerable<IngestResult> ReadBundle(Bundle bundle, string origin, string json)
    {
        using var text = new BundleText(json);
        foreach (var result in ReadBundle(bundle, origin, text, []))
        {
            yield return result;
        }
    }

    // path: the entry positions that lead from the outermost Bundle to this one (empty for the outermost).
    private IEnumerable<IngestResult> ReadBundle(Bundle bundle, string origin, BundleText text, int[] path)
    {
        // The Bundle itself (type, entry structure) is checked without its entries; each entry on its own, so one
        // bad entry is quarantined alone.
        var bundleIssues = bundle.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, false);
        if (bundleIssues.Count > 0)
        {
            yield return new IngestResult(origin, "Bundle", null, Describe(bundleIssues.Select(i => i.Message)))
            {
                Fingerprint = text.FingerprintOf(path, "Bundle"),
            };
            yield break;
        }

        // Entries of a transaction may point to each other by fullUrl (urn:uuid:...): resolve those inside this Bundle.
        var byFullUrl = new Dictionary<string, ResourceKey>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry)
        {
            if (entry.FullUrl is { } url && entry.Resource is { } r)
            {
                byFullUrl[url] = new ResourceKey(r.TypeName, r.Id ?? url.Split(':', '/')[^1]);
            }
        }

        ResourceKey? Resolve(string? reference) =>
            reference is not null && byFullUrl.TryGetValue(reference, out var key) ? key : ResourceKey.Parse(reference);

        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var entry = bundle.Entry[i];
            var entryOrigin = $"{origin}#entry[{i}]";
            int[] entryPath = [.. path, i];
            if (entry.Resource is null)
            {
                continue; // a DELETE or a search-only entry carries no resource
            }

            if (entry.Resource.Id is null && entry.FullUrl is { } url)
            {
                entry.Resource.Id = url.Split(':', '/')[^1];
            }

            if (entry.Resource is Bundle nested)
            {
                foreach (var result in ReadBundle(nested, entryOrigin, text, entryPath))
                {
                    yield return result;
                }
            }
            else
            {
                var resource = entry.Resource;
                yield return Fingerprinted(Accept(resource, entryOrigin, Resolve, null), () => text.FingerprintOf(entryPath, resource.TypeName));
            }
        }
    }

    private static IngestResult Accept(Resource resource, string origin, Func<string?, ResourceKey?> resolve, string? json)
    {
        var issues = resource.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true);
        if (issues.Count > 0)
        {
            return new IngestResult(origin, resource.TypeName, null, Describe(issues.Select(i => i.Message)));
        }

        if (string.IsNullOrWhiteSpace(resource.Id))
        {
            return new IngestResult(origin, resource.TypeName, null, "the resource has no id");
        }

        var record = RecordProjector.Project(resource, resolve);
        var (hasSubject, patient) = record switch
        {
            PatientRecord p => (false, p.Ref.Key),
            ProcedureRecord p => (true, p.Patient),
            EncounterRecord e => (true, e.Patient),
            ConditionRecord c => (true, c.Patient),
            ServiceRequestRecord s => (true, s.Patient),
            ObservationRecord o => (true, o.Patient),
            _ => (false, (ResourceKey?)null),
        };
        if (hasSubject && patient?.Type != "Patient")
        {
            return new IngestResult(origin, resource.TypeName, null, $"{resource.TypeName}.subject is not a Patient reference");
        }

        return new IngestResult(origin, resource.TypeName, record, null)
        {
            Id = resource.Id,
            VersionId = resource.Meta?.VersionId,
            LastUpdated = resource.Meta?.LastUpdated,
            Patient = patient?.Id,
            Json = json ?? Serializer.SerializeToString(resource),
        };
    }

    private static IngestResult Fingerprinted(IngestResult result, Func<string> fingerprint) =>
        result.IsQuarantined ? result with { Fingerprint = fingerprint() } : result;

    // Validation messages quote the offending value ("'1970-13-45' is not a correct literal"): the value may be a
    // birth date or a name, so quoted values are masked and only the message and the element path remain.
    private static string Describe(IEnumerable<string> messages)
    {
        var distinct = messages.Select(m => QuotedValue().Replace(m, "'…'")).Distinct().ToList();
        return distinct.Count switch
        {
            0 => "invalid resource",
            <= 3 => string.Join(" ", distinct),
            _ => string.Join(" ", distinct.Take(3)) + $" (and {distinct.Count - 3} more)",
        };
    }

    [GeneratedRegex("'[^']*'")]
    private static partial Regex QuotedValue();

    // The text of a Bundle being read, for the fingerprint of what it quarantines. A quarantined entry is identified
    // best by its own JSON as read (entry[i].resource, followed down through nested Bundles): the same bad entry
    // keeps its fingerprint when the rest of the Bundle changes, and the position is Firely's, since a Bundle read
    // without issues has one entry per element of the array. The text is parsed again only when something in it is
    // quarantined. Should the text not show a resource of the entry's type there, the Bundle's whole text with the
    // entry's position stands in: it still tells two different Bundles apart.
    private sealed class BundleText(string json) : IDisposable
    {
        private JsonDocument? _document;
        private bool _unreadable;

        /// <summary>The fingerprint of the Bundle at <paramref name="path"/> (the whole text for an empty path), or of the entry there.</summary>
        public string FingerprintOf(int[] path, string resourceType)
        {
            if (path.Length == 0)
            {
                return InputFingerprint.Of(json);
            }

            if (Find(path) is { } element
                && element.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals(resourceType))
            {
                return InputFingerprint.Of(element.GetRawText());
            }

            return InputFingerprint.Of(json + "#" + string.Concat(path.Select(i => $"entry[{i}]")));
        }

        public void Dispose() => _document?.Dispose();

        private JsonElement? Find(int[] path)
        {
            if (_document is null && !_unreadable)
            {
                try
                {
                    _document = JsonDocument.Parse(json);
                }
                catch (JsonException)
                {
                    _unreadable = true;
                }
            }

            if (_document is null)
            {
                return null;
            }

            var element = _document.RootElement;
            foreach (var i in path)
            {
                if (element.ValueKind != JsonValueKind.Object
                    || !element.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array
                    || i >= entries.GetArrayLength() || entries[i].ValueKind != JsonValueKind.Object
                    || !entries[i].TryGetProperty("resource", out element))
                {
                    return null;
                }
            }

            return element.ValueKind == JsonValueKind.Object ? element : null;
        }
    }
}
