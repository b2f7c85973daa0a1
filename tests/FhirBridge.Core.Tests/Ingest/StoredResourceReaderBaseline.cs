using System.Globalization;
using System.Text.Json;
using FhirBridge.Ingest;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// <see cref="StoredResourceReader"/> as it was at d034718, before its reads stopped allocating a dictionary per JSON
/// object: kept verbatim (only renamed) so the tests can hold the current reader to exactly the same verdicts and records,
/// declines included, over the sample and over mutated inputs.
/// </summary>
internal static class StoredResourceReaderBaseline
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

    // The object's properties by name; false on a duplicate name or when it is not an object.
    private static bool Fields(JsonElement element, out Dictionary<string, JsonElement> fields)
    {
        fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!fields.TryAdd(property.Name, property.Value))
            {
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, JsonElement>? Obj(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
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

    private static List<Dictionary<string, JsonElement>> Objs(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            _declined = true;
            return [];
        }

        var list = new List<Dictionary<string, JsonElement>>();
        foreach (var item in value.EnumerateArray())
        {
            if (!Fields(item, out var inner))
            {
                _declined = true;
                return [];
            }

            list.Add(inner);
        }

        return list;
    }

    private static string? Str(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
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
        public static ITimelineRecord? Project(string type, SourceRef source, Dictionary<string, JsonElement> f)
        {
            // A field reader that declines sets the flag and returns null; the caller then drops the record.
            ITimelineRecord? record = type switch
            {
                "Patient" => new PatientRecord(source, ClinicalTime.Parse((Str(f, "birthDate"))), (Str(f, "gender"))),
                "Procedure" => new ProcedureRecord
                {
                    Ref = source,
                    Patient = (Ref(f, "subject")),
                    Status = (Str(f, "status")) ?? "unknown",
                    Code = (Concept(f, "code")),
                    Category = (Concept(f, "category")),
                    Start = (Str(f, "performedDateTime")) is { } dt ? ClinicalTime.Parse(dt)
                        : (Obj(f, "performedPeriod")) is { } period ? ClinicalTime.Parse((Str(period, "start")))
                        : null,
                    End = (Obj(f, "performedPeriod")) is { } p2 && (Str(p2, "end")) is { } end ? ClinicalTime.Parse(end) : null,
                    PartOf = (Refs(f, "partOf")),
                    Encounter = (Ref(f, "encounter")),
                    Location = (Ref(f, "location")),
                    PerformerOrganizations = (Objs(f, "performer").Select(x => Ref(x, "onBehalfOf")).OfType<ResourceKey>().ToList()),
                    BasedOn = (Refs(f, "basedOn")),
                    ReasonCodes = (Concepts(f, "reasonCode")),
                    ReasonReferences = (Refs(f, "reasonReference")),
                },
                "Encounter" => new EncounterRecord
                {
                    Ref = source,
                    Patient = (Ref(f, "subject")),
                    Status = (Str(f, "status")) ?? "unknown",
                    Locations = (Objs(f, "location")
                        .Select(l => (Key: Ref(l, "location"), Period: Obj(l, "period")))
                        .Where(l => l.Key is not null)
                        .Select(l => new EncounterLocation(l.Key!.Value, ClinicalTime.Parse(l.Period is { } p ? Str(p, "start") : null), ClinicalTime.Parse(l.Period is { } q ? Str(q, "end") : null)))
                        .ToList()),
                    ServiceType = (Concept(f, "serviceType")),
                    ServiceProvider = (Ref(f, "serviceProvider")),
                    Diagnoses = (Objs(f, "diagnosis")
                        .Select(d => (Key: Ref(d, "condition"), Rank: Int(d, "rank")))
                        .Where(d => d.Key is not null)
                        .Select(d => new EncounterDiagnosis(d.Key!.Value, d.Rank))
                        .ToList()),
                },
                "Condition" => new ConditionRecord(
                    source,
                    (Ref(f, "subject")),
                    (Concept(f, "code")),
                    (Obj(f, "verificationStatus")) is { } vs ? (Objs(vs, "coding").FirstOrDefault() is { } first ? Str(first, "code") : null) : null),
                "Location" => new LocationRecord(source, (Concepts(f, "type"))),
                "Organization" => new OrganizationRecord(source, (Concepts(f, "type"))),
                "ServiceRequest" => new ServiceRequestRecord(
                    source, (Ref(f, "subject")), (Str(f, "status")) ?? "unknown", (Str(f, "intent")) ?? "unknown", ClinicalTime.Parse((Str(f, "authoredOn")))),
                "Observation" => new ObservationRecord
                {
                    Ref = source,
                    Patient = (Ref(f, "subject")),
                    Status = (Str(f, "status")) ?? "unknown",
                    Code = (Concept(f, "code")),
                    Effective = (Str(f, "effectiveDateTime")) is { } edt ? ClinicalTime.Parse(edt)
                        : (Str(f, "effectiveInstant")) is { } instant ? ClinicalTime.Parse(Hl7.Fhir.ElementModel.Types.DateTime.Parse(instant).ToDateTimeOffset(TimeSpan.Zero).ToString("o", CultureInfo.InvariantCulture))
                        : (Obj(f, "effectivePeriod")) is { } ep ? ClinicalTime.Parse((Str(ep, "start")))
                        : null,
                    Value = (Obj(f, "valueQuantity")) is { } q && (Dec(q, "value")) is { } value
                        ? new QuantityValue(value, (Str(q, "unit")), (Str(q, "system")), (Str(q, "code")))
                        : null,
                },
                _ => null,
            };
            return record;
        }

        private static ResourceKey? Ref(Dictionary<string, JsonElement> f, string name) =>
            Obj(f, name) is { } reference ? ResourceKey.Parse(Str(reference, "reference")) : null;

        private static List<ResourceKey> Refs(Dictionary<string, JsonElement> f, string name) =>
            [.. Objs(f, name).Select(r => ResourceKey.Parse(Str(r, "reference"))).OfType<ResourceKey>()];

        private static CodedConcept Concept(Dictionary<string, JsonElement> f, string name) =>
            Obj(f, name) is { } concept ? Concept(concept) : CodedConcept.None;

        private static List<CodedConcept> Concepts(Dictionary<string, JsonElement> f, string name) => [.. Objs(f, name).Select(Concept)];

        private static CodedConcept Concept(Dictionary<string, JsonElement> concept)
        {
            var codings = Objs(concept, "coding").ToList();
            return codings.Count == 0
                ? CodedConcept.None
                : new CodedConcept([.. codings.Select(c => (System: Str(c, "system"), Code: Str(c, "code"))).Where(c => !string.IsNullOrWhiteSpace(c.Code)).Select(c => new SourceCoding(c.System, c.Code!))]);
        }

        private static int? Int(Dictionary<string, JsonElement> f, string name)
        {
            if (!f.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
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

        private static decimal? Dec(Dictionary<string, JsonElement> f, string name)
        {
            if (!f.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.Number || value.GetRawText().AsSpan().IndexOfAny('e', 'E') >= 0 || !value.TryGetDecimal(out var d))
            {
                _declined = true;
                return null;
            }

            return d;
        }
    }
}
