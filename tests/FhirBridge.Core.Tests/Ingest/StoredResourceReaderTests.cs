using System.Text.Json;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The fast reader of stored resources gives exactly the record the Firely path gives, or declines: over every line of
/// the committed sample, over hand-written shapes the sample lacks, and over seeded mutations the Firely path accepts.
/// </summary>
public class StoredResourceReaderTests
{
    private static readonly JsonSerializerOptions Dump = new() { WriteIndented = false };

    public static TheoryData<string> Shapes => [.. ShapeLines];

    // Also mutated by StoredResourceReaderAgreementTests.
    internal static readonly string[] ShapeLines =
    [
        """{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2024-03-01T10:00:00.123+08:00"},"birthDate":"1950-02","gender":"female"}""",
        """{"resourceType":"Procedure","id":"x","status":"completed","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"s","code":"c"},{"system":"t"}]},"category":{"text":"no codings"},"performedPeriod":{"start":"2024-03-01T10:00:00+08:00","end":"2024-03-01T12:00:00+08:00"},"partOf":[{"reference":"Procedure/y"},{"display":"none"}],"encounter":{"reference":"Encounter/e"},"location":{"reference":"http://h/fhir/Location/l"},"performer":[{"actor":{"reference":"Practitioner/a"}},{"actor":{"reference":"Practitioner/b"},"onBehalfOf":{"reference":"Organization/o"}}],"basedOn":[{"reference":"ServiceRequest/s"}],"reasonCode":[{"text":"no codings"},{"coding":[{"system":"s","code":"r"}]}],"reasonReference":[{"reference":"Condition/c"}]}""",
        """{"resourceType":"Procedure","id":"y","status":"in-progress","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"s","code":"c"}]},"performedDateTime":"2024-03"}""",
        """{"resourceType":"Procedure","id":"z","status":"completed","subject":{"reference":"Patient/p1"},"code":{"text":"t"},"performedString":"yesterday"}""",
        """{"resourceType":"Encounter","id":"e","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},"location":[{"location":{"reference":"Location/l"},"period":{"start":"2024-03-01"}},{"location":{"display":"x"}}],"serviceType":{"coding":[{"system":"s","code":"st"}]},"serviceProvider":{"reference":"Organization/o"},"diagnosis":[{"condition":{"reference":"Condition/c"},"rank":2},{"condition":{"reference":"Condition/d"}}]}""",
        """{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"s","code":"k"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"refuted"}]}}""",
        """{"resourceType":"ServiceRequest","id":"s","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"authoredOn":"2024-02-28T09:00:00+08:00"}""",
        """{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"39156-5"}]},"subject":{"reference":"Patient/p1"},"effectiveInstant":"2024-03-01T10:00:00.5+08:00","valueQuantity":{"value":31.50,"unit":"kg/m2","system":"http://unitsofmeasure.org","code":"kg/m2"}}""",
        """{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2024-03-01"},"valueString":"x"}""",
        """{"resourceType":"Location","id":"l","type":[{"coding":[{"system":"s","code":"OR"}]}]}""",
        """{"resourceType":"Organization","id":"o","type":[{"coding":[{"system":"s","code":"dept"}]}],"name":"n"}""",
        """{"resourceType":"Practitioner","id":"a"}""",
        """{"resourceType":"Procedure","id":"g","status":"completed","subject":{"reference":"Group/g"},"code":{"text":"t"}}""",
    ];

    [Fact]
    public void TryRead_EveryLineOfTheSample_GivesTheFirelyRecord()
    {
        var lines = Directory.GetFiles(Path.Combine(RepositoryPaths.Samples, "synthetic-hospital"), "*.ndjson")
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines)
            .Where(l => !string.IsNullOrWhiteSpace(l))
            .ToList();
        var fast = lines.Count(AssertSameOrDeclined);

        Assert.Equal(lines.Count, fast); // the sample is what stores hold: all of it takes the fast path
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryRead_ShapesTheSampleLacks_GiveTheFirelyRecord(string json) =>
        Assert.Equal(!json.Contains("Group/g", StringComparison.Ordinal), AssertSameOrDeclined(json)); // a non-Patient subject is the Firely path's to quarantine

    // True when the fast path took it; fails when it took it with another record than the Firely path.
    private static bool AssertSameOrDeclined(string json)
    {
        List<IngestResult> firely;
        try
        {
            firely = [.. new FhirInputReader().ReadJson(json, "store")];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            firely = [];
        }

        if (!StoredResourceReader.TryRead(json, "store", out var fast))
        {
            return false;
        }

        // Only what ingest accepted is ever stored; for that, the fast path must agree field for field.
        if (firely is not [{ IsQuarantined: false } accepted])
        {
            return false;
        }

        Assert.NotNull(fast);
        Assert.Equal(accepted.ResourceType, fast.ResourceType);
        Assert.Equal(accepted.Id, fast.Id);
        Assert.Equal(accepted.Patient, fast.Patient);
        Assert.Equal(Describe(accepted), Describe(fast));
        return true;
    }

    private static string Describe(IngestResult result) =>
        result.Record is null ? "none" : result.Record.GetType().Name + JsonSerializer.Serialize(result.Record, result.Record.GetType(), Dump)
            + (result.LastUpdated?.ToString("o", System.Globalization.CultureInfo.InvariantCulture) ?? "-") + result.VersionId;
}
