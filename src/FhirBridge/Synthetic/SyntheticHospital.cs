using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace FhirBridge.Cli.Synthetic;

/// <summary>
/// A deterministic synthetic hospital for <c>fhirbridge synth</c>: spine admissions with index operations, returns to
/// theatre and the traps around them (ward procedures, planned stages, other departments, unrelated conditions,
/// operations just outside the window, older versions and withdrawn records), written as Bulk-Data-style NDJSON.
/// </summary>
/// <remarks>
/// The same (patients, seed) always gives the same bytes: one <see cref="Random"/> seeded with the seed draws a seed for
/// each patient, dates are fixed (surgery days from 2021-01-04, all timestamps +08:00), and nothing depends on the
/// clock, culture or hash order. Patients are written as they are generated, so memory does not grow with their number.
/// </remarks>
public static class SyntheticHospital
{
    /// <summary>The resource types written, one <c>{type}.ndjson</c> file each.</summary>
    public static IReadOnlyList<string> ResourceTypes { get; } =
    [
        "Patient", "Organization", "Location", "Encounter", "Condition", "Procedure", "ServiceRequest", "Observation",
    ];

    private static readonly DateTime ReferenceDataUpdated = new(2020, 6, 1, 9, 0, 0, DateTimeKind.Unspecified);

    /// <summary>
    /// Writes <paramref name="patients"/> synthetic patients to <paramref name="outDirectory"/> (created if needed;
    /// existing NDJSON files of the same names are overwritten) and returns the line counts and the intended truth.
    /// </summary>
    /// <param name="patients">Number of patients, 0 to 999,999 (ids are <c>p000001</c>...).</param>
    /// <param name="seed">The seed; the same seed and count give byte-identical files.</param>
    /// <param name="outDirectory">The directory for the NDJSON files.</param>
    /// <param name="ids">
    /// How resources are named. With <see cref="SyntheticIdStyle.Opaque"/> the data and the truth name every resource by
    /// <see cref="OpaqueId"/> of its numbered id, and the data is otherwise the same. The rule breaks a tie between
    /// Procedures that start at the same instant by id (spec, "Operations"), so for such an operation the rule may name
    /// a different Procedure of that instant as its principal than the truth does; the operations themselves do not
    /// change.
    /// </param>
    public static SyntheticResult Generate(int patients, int seed, string outDirectory, SyntheticIdStyle ids = SyntheticIdStyle.Numbered)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patients);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(patients, 999_999);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDirectory);

        var master = new Random(seed);
        var indexTruth = new List<SyntheticIndexOperation>();
        var refusedTruth = new List<SyntheticRefusedIndex>();
        SortedDictionary<string, int> counts;
        Func<string, string> name = ids == SyntheticIdStyle.Opaque ? OpaqueId : id => id;
        using (var output = new NdjsonOutput(outDirectory, ids))
        {
            WriteReferenceData(output);
            for (var number = 1; number <= patients; number++)
            {
                var rng = new Random(master.Next());
                new PatientGenerator(number, rng, output.Write, indexTruth, refusedTruth).Generate();
            }

            counts = output.LineCounts();
        }

        return new SyntheticResult(
            patients, seed, outDirectory, counts, [.. indexTruth.Select(i => i.Renamed(name))], [.. refusedTruth.Select(r => r.Renamed(name))]);
    }

    /// <summary>
    /// The opaque id of a numbered one (<see cref="SyntheticIdStyle.Opaque"/>): the first 24 lowercase hex digits of the
    /// SHA-256 of its UTF-8 bytes, a valid FHIR id. The same numbered id always gives the same opaque one, so every
    /// version of a resource, and every reference to it, agree.
    /// </summary>
    public static string OpaqueId(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..24];

    /// <summary>
    /// Writes the truth of <paramref name="result"/> as indented JSON (UTF-8 without BOM, <c>\n</c> line ends):
    /// a summary, the line counts, every intended index operation with its counted returns, excluded candidates
    /// (with reason), operations outside the window and withdrawn candidates, and the refused index operations.
    /// </summary>
    public static void WriteTruth(SyntheticResult result, string file)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        var directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });

        json.WriteStartObject();
        json.WriteNumber("patients", result.Patients);
        json.WriteNumber("seed", result.Seed);
        WriteSummary(json, result);

        json.WriteStartObject("lineCounts");
        foreach (var (type, count) in result.LineCounts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(type, count);
        }

        json.WriteEndObject();

        json.WriteStartArray("indexOperations");
        foreach (var index in result.IndexOperations)
        {
            json.WriteStartObject();
            json.WriteString("patientId", index.PatientId);
            json.WriteString("indexProcedureId", index.IndexProcedureId);
            json.WriteString("encounterId", index.EncounterId);
            json.WriteString("start", index.Start);
            json.WriteString("cohort", index.Cohort);
            WriteStrings(json, "countedReturnProcedureIds", index.CountedReturnProcedureIds);
            json.WriteStartArray("excludedCandidates");
            foreach (var candidate in index.ExcludedCandidates)
            {
                json.WriteStartObject();
                json.WriteString("procedureId", candidate.ProcedureId);
                json.WriteString("reason", candidate.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteStrings(json, "outsideWindowProcedureIds", index.OutsideWindowProcedureIds);
            WriteStrings(json, "withdrawnProcedureIds", index.WithdrawnProcedureIds);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("refusedIndexOperations");
        foreach (var refused in result.RefusedIndexOperations)
        {
            json.WriteStartObject();
            json.WriteString("patientId", refused.PatientId);
            json.WriteString("procedureId", refused.ProcedureId);
            json.WriteString("encounterId", refused.EncounterId);
            json.WriteString("cohort", refused.Cohort);
            json.WriteString("reason", refused.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        stream.WriteByte((byte)'\n');
    }

    private static void WriteSummary(Utf8JsonWriter json, SyntheticResult result)
    {
        json.WriteStartObject("summary");
        json.WriteNumber("indexOperations", result.IndexOperations.Count);
        json.WriteNumber("indexOperationsWithCountedReturn", result.IndexOperations.Count(i => i.CountedReturnProcedureIds.Count > 0));
        json.WriteNumber("countedReturns", result.IndexOperations.Sum(i => i.CountedReturnProcedureIds.Count));
        json.WriteNumber("refusedIndexOperations", result.RefusedIndexOperations.Count);
        json.WriteStartObject("cohorts");
        foreach (var group in result.IndexOperations.GroupBy(i => i.Cohort, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject(group.Key);
            json.WriteNumber("indexOperations", group.Count());
            json.WriteNumber("withCountedReturn", group.Count(i => i.CountedReturnProcedureIds.Count > 0));
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteStartObject("excludedCandidates");
        foreach (var group in result.IndexOperations.SelectMany(i => i.ExcludedCandidates).GroupBy(c => c.Reason, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(group.Key, group.Count());
        }

        json.WriteEndObject();
        json.WriteStartObject("refusedIndexReasons");
        foreach (var group in result.RefusedIndexOperations.GroupBy(r => r.Reason, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(group.Key, group.Count());
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteReferenceData(NdjsonOutput output)
    {
        foreach (var (id, type, name) in SyntheticCodes.Organizations)
        {
            output.Write(new Organization
            {
                Id = id,
                Meta = PatientGenerator.NewMeta("1", ReferenceDataUpdated),
                Active = true,
                Type = [new CodeableConcept { Coding = [new Coding(SyntheticCodes.Snomed, type.Code, type.Display)] }],
                Name = name,
            });
        }

        for (var i = 1; i <= SyntheticCodes.TheatreCount; i++)
        {
            output.Write(NewLocation("loc-or-" + i.ToString(CultureInfo.InvariantCulture), "Operating Room " + i.ToString(CultureInfo.InvariantCulture), SyntheticCodes.TheatreType, "ro", "Room", managedBy: null));
        }

        for (var i = 1; i <= SyntheticCodes.WardCount; i++)
        {
            output.Write(NewLocation("loc-ward-" + i.ToString(CultureInfo.InvariantCulture), "Orthopaedic Ward " + i.ToString(CultureInfo.InvariantCulture), SyntheticCodes.WardType, "wa", "Ward", SyntheticCodes.OrgOrtho));
        }
    }

    private static Location NewLocation(string id, string name, SyntheticCode type, string physicalCode, string physicalDisplay, string? managedBy)
    {
        var location = new Location
        {
            Id = id,
            Meta = PatientGenerator.NewMeta("1", ReferenceDataUpdated),
            Status = Location.LocationStatus.Active,
            Name = name,
            Mode = Location.LocationMode.Instance,
            Type = [new CodeableConcept { Coding = [new Coding(SyntheticCodes.Snomed, type.Code, type.Display)] }],
            PhysicalType = new CodeableConcept { Coding = [new Coding(SyntheticCodes.LocationPhysicalType, physicalCode, physicalDisplay)] },
        };
        if (managedBy is not null)
        {
            location.ManagingOrganization = new ResourceReference("Organization/" + managedBy);
        }

        return location;
    }
}
