using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using FhirBridge.Timeline;

namespace FhirBridge.Ingest;

/// <summary>
/// The fast path for reading back what the state store holds: a resource that <see cref="FhirInputReader"/> already
/// parsed, validated and accepted at ingest. It reads only the fields <see cref="RecordProjector"/> reads, straight from
/// the JSON, and gives the same record the Firely path gives (tests compare both over the sample and synthetic
/// hospitals). Anything it does not recognise exactly (another shape, a duplicate property, a number in exponent form,
/// padded text) makes it decline, and the caller reads the resource through <see cref="FhirInputReader"/> as before.
/// </summary>
public static class StoredResourceReader
{
    /// <summary>Reads one stored resource; false when the caller must use <see cref="FhirInputReader.ReadJson"/> instead.</summary>
    /// <param name="json">The stored JSON (one resource).</param>
    /// <param name="origin">The origin to give the result.</param>
    /// <param name="result">The accepted result (its record is null for a type the rules do not read).</param>
    public static bool TryRead(string json, string origin, out IngestResult? result) => TryRead(json, origin, complete: false, out result);

    /// <summary>
    /// Like <see cref="TryRead(string, string, out IngestResult?)"/>, but for a type the rules do not read the result
    /// also carries the version, last update and JSON, as the Firely path gives them at ingest.
    /// </summary>
    /// <param name="json">JSON that <see cref="StrictResourceReader"/> has proven valid.</param>
    /// <param name="origin">The origin to give the result.</param>
    /// <param name="result">The accepted result.</param>
    internal static bool TryReadComplete(string json, string origin, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IngestResult? result) =>
        TryRead(json, origin, complete: true, out result) && result is not null;

    private static bool TryRead(string json, string origin, bool complete, out IngestResult? result)
    {
        result = null;
        _declined = false;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (!Fields(root, out var f) || Str(f, "resourceType") is not { } type || Str(f, "id") is not { } id || !Ok)
            {
                return false;
            }

            if (!complete && !RecordProjector.ReadTypes.Contains(type))
            {
                // Accepted and counted, not kept: the Firely path needs no more than the type for these either.
                result = new IngestResult(origin, type, null, null) { Id = id };
                return type != "Bundle";
            }

            string? versionId = null;
            DateTimeOffset? lastUpdated = null;
            if (Obj(f, "meta") is { } meta)
            {
                versionId = Str(meta, "versionId");
                if (Str(meta, "lastUpdated") is { } text)
                {
                    // What Instant.Value gives (Firely 6.8): the parsed literal as a DateTimeOffset, its own offset kept.
                    lastUpdated = StrictDates.Recognise(text, out var quick) == StrictDates.Shape.DateTime
                        ? quick
                        : Hl7.Fhir.ElementModel.Types.DateTime.Parse(text).ToDateTimeOffset(TimeSpan.Zero);
                }
            }

            if (!Ok || type == "Bundle")
            {
                return false;
            }

            if (!RecordProjector.ReadTypes.Contains(type))
            {
                // The ingest form (complete) of a type the rules do not read: no record, as the Firely path gives it.
                result = new IngestResult(origin, type, null, null) { Id = id, VersionId = versionId, LastUpdated = lastUpdated, Json = json };
                return true;
            }

            var record = Reading.Project(type, new SourceRef(new ResourceKey(type, id), versionId, lastUpdated), f);
            if (record is null || _declined)
            {
                return false;
            }

            var patient = record switch
            {
                PatientRecord p => p.Ref.Key,
                ProcedureRecord p => p.Patient,
                EncounterRecord e => e.Patient,
                ConditionRecord c => c.Patient,
                ServiceRequestRecord s => s.Patient,
                ObservationRecord o => o.Patient,
                _ => null,
            };
            if (record is not PatientRecord && patient is { Type: not "Patient" })
            {
                return false; // the Firely path quarantines it, with its reason
            }

            if (record is ProcedureRecord or EncounterRecord or ConditionRecord or ServiceRequestRecord or ObservationRecord && patient is null)
            {
                return false;
            }

            result = new IngestResult(origin, type, record, null)
            {
                Id = id,
                VersionId = versionId,
                LastUpdated = lastUpdated,
                Patient = patient?.Id,
                Json = json,
            };
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            return false;
        }
    }

    // Set by a field reader that met something it does not handle; reset at the start of each TryRead.
    [ThreadStatic]
    private static bool _declined;

    private static bool Ok => !_declined;

    // Above this many properties the pairwise name check gives way to a set of names: resources never come near it, but
    // the check must stay linear-ish on whatever text it is handed.
    private const int PairwiseNameLimit = 32;

    // The object's properties by name; false on a duplicate name or when it is not an object.
    private static bool Fields(JsonElement element, out ObjectFields fields)
    {
        fields = new ObjectFields(element);
        return element.ValueKind == JsonValueKind.Object && HasDistinctNames(element);
    }

    // Whether no two properties share a name, as the decoded names compare (what a dictionary of them would refuse).
    // Raw names without an escape compare like their decoded names (valid UTF-8 decodes one way), so the common case
    // compares the document's bytes pairwise and allocates nothing; an escaped name takes the decoded route.
    private static bool HasDistinctNames(JsonElement element)
    {
        var index = 0;
        foreach (var property in element.EnumerateObject())
        {
            var name = JsonMarshal.GetRawUtf8PropertyName(property);
            if (index == PairwiseNameLimit || name.Contains((byte)'\\'))
            {
                return HasDistinctDecodedNames(element);
            }

            var earlier = 0;
            foreach (var other in element.EnumerateObject())
            {
                if (earlier++ == index)
                {
                    break;
                }

                if (JsonMarshal.GetRawUtf8PropertyName(other).SequenceEqual(name))
                {
                    return false;
                }
            }

            index++;
        }

        return true;
    }

    private static bool HasDistinctDecodedNames(JsonElement element)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!names.Add(property.Name))
            {
                return false;
            }
        }

        return true;
    }

    private static ObjectFields? Obj(ObjectFields fields, string name)
    {
        if (!fields.TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (!Fields(value, out var inner))
        {
            _declined = true;
            return null;
        }

        return inner;
    }

    private static Items Objs(ObjectFields fields, string name)
    {
        if (!fields.TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return default;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            _declined = true;
            return default;
        }

        foreach (var item in value.EnumerateArray())
        {
            if (!Fields(item, out _))
            {
                _declined = true;
                return default;
            }
        }

        return new Items(value);
    }

    private static string? Str(ObjectFields fields, string name)
    {
        if (!fields.TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { } text || text.Length == 0 || char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]))
        {
            _declined = true;
            return null;
        }

        return text;
    }

    private static class Reading
    {
        public static ITimelineRecord? Project(string type, SourceRef source, ObjectFields f)
        {
            // A field reader that declines sets the flag and returns null; the caller then drops the record. Every field
            // is read in the same cases as before the reads went loop by loop (a period's start only for a located
            // entry, say), so what declines is unchanged.
            ITimelineRecord? record = type switch
            {
                "Patient" => new PatientRecord(source, ClinicalTime.Parse(Str(f, "birthDate")), Str(f, "gender")),
                "Procedure" => new ProcedureRecord
                {
                    Ref = source,
                    Patient = Ref(f, "subject"),
                    Status = Str(f, "status") ?? "unknown",
                    Code = Concept(f, "code"),
                    Category = Concept(f, "category"),
                    Start = Str(f, "performedDateTime") is { } dt ? ClinicalTime.Parse(dt)
                        : Obj(f, "performedPeriod") is { } period ? ClinicalTime.Parse(Str(period, "start"))
                        : null,
                    End = Obj(f, "performedPeriod") is { } p2 && Str(p2, "end") is { } end ? ClinicalTime.Parse(end) : null,
                    PartOf = Refs(f, "partOf"),
                    Encounter = Ref(f, "encounter"),
                    Location = Ref(f, "location"),
                    PerformerOrganizations = PerformerOrganizations(f),
                    BasedOn = Refs(f, "basedOn"),
                    ReasonCodes = Concepts(f, "reasonCode"),
                    ReasonReferences = Refs(f, "reasonReference"),
                },
                "Encounter" => new EncounterRecord
                {
                    Ref = source,
                    Patient = Ref(f, "subject"),
                    Status = Str(f, "status") ?? "unknown",
                    Locations = Locations(f),
                    ServiceType = Concept(f, "serviceType"),
                    ServiceProvider = Ref(f, "serviceProvider"),
                    Diagnoses = Diagnoses(f),
                },
                "Condition" => new ConditionRecord(
                    source,
                    Ref(f, "subject"),
                    Concept(f, "code"),
                    Obj(f, "verificationStatus") is { } vs ? FirstCode(vs) : null),
                "Location" => new LocationRecord(source, Concepts(f, "type")),
                "Organization" => new OrganizationRecord(source, Concepts(f, "type")),
                "ServiceRequest" => new ServiceRequestRecord(
                    source, Ref(f, "subject"), Str(f, "status") ?? "unknown", Str(f, "intent") ?? "unknown", ClinicalTime.Parse(Str(f, "authoredOn"))),
                "Observation" => new ObservationRecord
                {
                    Ref = source,
                    Patient = Ref(f, "subject"),
                    Status = Str(f, "status") ?? "unknown",
                    Code = Concept(f, "code"),
                    Effective = Str(f, "effectiveDateTime") is { } edt ? ClinicalTime.Parse(edt)
                        : Str(f, "effectiveInstant") is { } instant ? ClinicalTime.Parse(Hl7.Fhir.ElementModel.Types.DateTime.Parse(instant).ToDateTimeOffset(TimeSpan.Zero).ToString("o", CultureInfo.InvariantCulture))
                        : Obj(f, "effectivePeriod") is { } ep ? ClinicalTime.Parse(Str(ep, "start"))
                        : null,
                    Value = Obj(f, "valueQuantity") is { } q && Dec(q, "value") is { } value
                        ? new QuantityValue(value, Str(q, "unit"), Str(q, "system"), Str(q, "code"))
                        : null,
                },
                _ => null,
            };
            return record;
        }

        private static List<ResourceKey> PerformerOrganizations(ObjectFields f)
        {
            var keys = new List<ResourceKey>();
            foreach (var performer in Objs(f, "performer"))
            {
                if (Ref(performer, "onBehalfOf") is { } key)
                {
                    keys.Add(key);
                }
            }

            return keys;
        }

        private static List<EncounterLocation> Locations(ObjectFields f)
        {
            var locations = new List<EncounterLocation>();
            foreach (var entry in Objs(f, "location"))
            {
                // The period is checked for every entry, its start and end read only for a located one.
                var key = Ref(entry, "location");
                var period = Obj(entry, "period");
                if (key is { } location)
                {
                    var start = ClinicalTime.Parse(period is { } p ? Str(p, "start") : null);
                    var end = ClinicalTime.Parse(period is { } q ? Str(q, "end") : null);
                    locations.Add(new EncounterLocation(location, start, end));
                }
            }

            return locations;
        }

        private static List<EncounterDiagnosis> Diagnoses(ObjectFields f)
        {
            var diagnoses = new List<EncounterDiagnosis>();
            foreach (var diagnosis in Objs(f, "diagnosis"))
            {
                var key = Ref(diagnosis, "condition");
                var rank = Int(diagnosis, "rank");
                if (key is { } condition)
                {
                    diagnoses.Add(new EncounterDiagnosis(condition, rank));
                }
            }

            return diagnoses;
        }

        // The first coding's code; every coding must still be an object.
        private static string? FirstCode(ObjectFields concept)
        {
            foreach (var coding in Objs(concept, "coding"))
            {
                return Str(coding, "code");
            }

            return null;
        }

        private static ResourceKey? Ref(ObjectFields f, string name) =>
            Obj(f, name) is { } reference ? ResourceKey.Parse(Str(reference, "reference")) : null;

        private static List<ResourceKey> Refs(ObjectFields f, string name)
        {
            var keys = new List<ResourceKey>();
            foreach (var reference in Objs(f, name))
            {
                if (ResourceKey.Parse(Str(reference, "reference")) is { } key)
                {
                    keys.Add(key);
                }
            }

            return keys;
        }

        private static CodedConcept Concept(ObjectFields f, string name) =>
            Obj(f, name) is { } concept ? Concept(concept) : CodedConcept.None;

        private static List<CodedConcept> Concepts(ObjectFields f, string name)
        {
            var concepts = new List<CodedConcept>();
            foreach (var concept in Objs(f, name))
            {
                concepts.Add(Concept(concept));
            }

            return concepts;
        }

        private static CodedConcept Concept(ObjectFields concept)
        {
            // No coding at all is the shared empty concept; codings without a code give a concept of none.
            var codings = Objs(concept, "coding");
            if (codings.IsEmpty)
            {
                return CodedConcept.None;
            }

            var kept = new List<SourceCoding>();
            foreach (var coding in codings)
            {
                var system = Str(coding, "system");
                var code = Str(coding, "code");
                if (!string.IsNullOrWhiteSpace(code))
                {
                    kept.Add(new SourceCoding(system, code));
                }
            }

            return new CodedConcept(kept);
        }

        private static int? Int(ObjectFields f, string name)
        {
            if (!f.TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n))
            {
                _declined = true;
                return null;
            }

            return n;
        }

        private static decimal? Dec(ObjectFields f, string name)
        {
            if (!f.TryGet(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || JsonMarshal.GetRawUtf8Value(value).IndexOfAny((byte)'e', (byte)'E') >= 0 || !value.TryGetDecimal(out var d))
            {
                _declined = true;
                return null;
            }

            return d;
        }
    }

    /// <summary>
    /// A JSON object whose property names were found distinct (<see cref="Fields(JsonElement, out ObjectFields)"/>): a name
    /// is looked up in the parsed document itself, so reading a resource builds no dictionary per object.
    /// </summary>
    private readonly struct ObjectFields(JsonElement element)
    {
        public bool TryGet(string name, out JsonElement value) => element.TryGetProperty(name, out value);
    }

    /// <summary>The items of a JSON array, each found an object with distinct names by <see cref="Objs"/>; default is none.</summary>
    private readonly struct Items(JsonElement array)
    {
        private readonly bool _present = true;

        public bool IsEmpty => !_present || array.GetArrayLength() == 0;

        public Enumerator GetEnumerator() => new(_present ? array.EnumerateArray() : default, _present);

        public struct Enumerator(JsonElement.ArrayEnumerator items, bool present)
        {
            private JsonElement.ArrayEnumerator _items = items;

            public readonly ObjectFields Current => new(_items.Current);

            public bool MoveNext() => present && _items.MoveNext();
        }
    }
}
