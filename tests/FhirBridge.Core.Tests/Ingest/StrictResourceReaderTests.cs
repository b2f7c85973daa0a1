using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The fast path of ingest accepts only what the Firely path accepts, with the same result, and it does accept
/// the real thing: every line of the committed sample and the shapes hospitals commonly send.
/// </summary>
public class StrictResourceReaderTests
{
    public static TheoryData<string> Accepted => [.. AcceptedLines];

    public static TheoryData<string> Declined => [.. DeclinedLines];

    /// <summary>Valid shapes the sample lacks; the fast path must take each.</summary>
    internal static readonly string[] AcceptedLines =
    [
        """{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2024-03-01T10:00:00.123+08:00","source":"http://h/x","tag":[{"system":"s","code":"t"}]},"birthDate":"1950-02","gender":"female","deceasedBoolean":false,"multipleBirthInteger":2}""",
        """{"resourceType":"Patient","id":"p2","birthDate":"1950","gender":"unknown","name":[{"family":"Müller","given":["Ann","B\u00e9"]}],"telecom":[{"system":"phone","value":"1 2"}]}""",
        """{"resourceType":"Procedure","id":"x","status":"completed","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"s","code":"c"},{"system":"t"}]},"category":{"text":"no codings"},"performedPeriod":{"start":"2024-03-01T10:00:00+08:00","end":"2024-03-01T12:00:00+08:00"},"partOf":[{"reference":"Procedure/y"},{"display":"none"}],"encounter":{"reference":"Encounter/e"},"location":{"reference":"http://h/fhir/Location/l"},"performer":[{"actor":{"reference":"Practitioner/a"}},{"actor":{"reference":"Practitioner/b"},"onBehalfOf":{"reference":"Organization/o"}}],"basedOn":[{"reference":"ServiceRequest/s"}],"reasonCode":[{"text":"no codings"},{"coding":[{"system":"s","code":"r"}]}],"reasonReference":[{"reference":"Condition/c"}]}""",
        """{"resourceType":"Procedure","id":"y","status":"in-progress","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"s","code":"c"}]},"performedDateTime":"2024-03"}""",
        """{"resourceType":"Procedure","id":"z","status":"completed","subject":{"reference":"Patient/p1"},"code":{"text":"t"},"performedString":"yesterday"}""",
        """{"resourceType":"Procedure","id":"z2","status":"completed","subject":{"reference":"Patient/p1"},"performedAge":{"value":40,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}""",
        """{"resourceType":"Encounter","id":"e","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"},"location":[{"location":{"reference":"Location/l"},"period":{"start":"2024-03-01"}},{"location":{"display":"x"}}],"serviceType":{"coding":[{"system":"s","code":"st"}]},"serviceProvider":{"reference":"Organization/o"},"diagnosis":[{"condition":{"reference":"Condition/c"},"rank":2},{"condition":{"reference":"Condition/d"}}]}""",
        """{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"s","code":"k"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"refuted"}]},"onsetDateTime":"2024-02-29T23:59:59Z"}""",
        """{"resourceType":"ServiceRequest","id":"s","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"authoredOn":"2024-02-28T09:00:00+08:00"}""",
        """{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"39156-5"}]},"subject":{"reference":"Patient/p1"},"effectiveInstant":"2024-03-01T10:00:00.5+08:00","valueQuantity":{"value":31.50,"unit":"kg/m2","system":"http://unitsofmeasure.org","code":"kg/m2"}}""",
        """{"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2024-03-01"},"valueString":"x"}""",
        """{"resourceType":"Observation","id":"o3","status":"amended","code":{"text":"t"},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":-0.001,"comparator":"<"},"issued":"2024-03-01T10:00:00Z","interpretation":[{"coding":[{"code":"H"}]}]}""",
        """{"resourceType":"Location","id":"l","type":[{"coding":[{"system":"s","code":"OR"}]}],"status":"active","mode":"instance"}""",
        """{"resourceType":"Organization","id":"o","type":[{"coding":[{"system":"s","code":"dept"}]}],"name":"n","active":true}""",
        """{"resourceType":"Practitioner","id":"a","meta":{"versionId":"1","lastUpdated":"2024-01-01T00:00:00Z"},"name":[{"text":"Dr A"}]}""",
        "  {\"resourceType\":\"Practitioner\",\"id\":\"w\"}  ",
    ];

    /// <summary>Shapes the fast path leaves to the Firely path (valid or not): each must be declined.</summary>
    internal static readonly string[] DeclinedLines =
    [
        """{"resourceType":"Bundle","id":"b","type":"collection"}""",
        """{"resourceType":"Procedure","id":"g","status":"completed","subject":{"reference":"Group/g"},"code":{"text":"t"}}""",
        """{"id":"p","resourceType":"Patient"}""",
        """{"resourceType":"Patient","id":"p","_gender":{"extension":[{"url":"http://x","valueString":"y"}]}}""",
        """{"resourceType":"Patient","id":"p","extension":[{"url":"http://x","valueString":"y"}]}""",
        """{"resourceType":"Patient","id":"p","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}""",
        """{"resourceType":"Patient","id":"p","contained":[{"resourceType":"Practitioner","id":"q"}]}""",
        """{"resourceType":"Patient","id":"p","id":"q"}""",
        """{"resourceType":"Patient","id":"p","gender":null}""",
        """{"resourceType":"Patient","id":"p","name":[]}""",
        """{"resourceType":"Patient","id":"p","name":[{}]}""",
        """{"resourceType":"Patient","id":"p","gender":" male"}""",
        """{"resourceType":"Patient","id":"p","gender":"Male"}""",
        """{"resourceType":"Patient","id":"p","birthDate":"2023-02-29"}""",
        """{"resourceType":"Patient","id":"p","Gender":"male"}""",
        """{"resourceType":"Patient","id":"p","foo":1}""",
        """{"resourceType":"Patient","id":"p","multipleBirthInteger":1e0}""",
        """{"resourceType":"Patient","id":"p","multipleBirthInteger":1.0}""",
        """{"resourceType":"Patient","id":"p","deceasedboolean":true}""",
        """{"resourceType":"Patient","id":"p","deceased":true}""",
        """{"resourceType":"Patient","id":"p","deceasedString":"x"}""",
        """{"resourceType":"Patient","id":"p"} {}""",
        """{"resourceType":"Patient"}""",
        """{"resourceType":"patient","id":"p"}""",
        """{"resourceType":"Resource","id":"p"}""",
        """{"resourceType":"Patient","id":"p","r\u0065sourceType":"Patient"}""",
        """{"resourceType":"Observation","id":"o","code":{"text":"t"}}""",
        """{"resourceType":"Observation","id":"o","status":"final","code":{"text":"t"},"valueQuantity":{"value":1E2}}""",
        """{"resourceType":"Encounter","id":"e","status":"finished","class":{"code":"IMP"},"diagnosis":[{"condition":{"reference":"Condition/c"},"rank":0}]}""",
        """{"resourceType":"Encounter","id":"e","status":"finished","class":{"code":"IMP"},"location":[null]}""",
        """{"resourceType":"Encounter","id":"e","status":"finished","class":[{"code":"IMP"}]}""",
        """{"resourceType":"Patient","id":"a b"}""",
        """{"resourceType":"Patient","id":""}""",
        """{"resourceType":"Patient","id":"p","meta":{"lastUpdated":"2024-03-01T10:00:00"}}""",
    ];

    [Fact]
    public void TryRead_EveryLineOfTheSample_AcceptedWithTheFirelyResult()
    {
        var lines = SampleLines(int.MaxValue);

        var declined = lines.Where(l => !StrictIngestEquivalence.AssertEquivalent(l.Text, l.Origin)).Select(l => l.Origin + " " + Why(l.Text)).ToList();

        Assert.Empty(declined); // the sample is what hospitals send: all of it takes the fast path
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void TryRead_ValidShapesTheSampleLacks_AcceptedWithTheFirelyResult(string json) =>
        Assert.True(StrictIngestEquivalence.AssertEquivalent(json), Why(json) + ": " + json);

    [Theory]
    [MemberData(nameof(Declined))]
    public void TryRead_ShapesItCannotProve_DeclinedAndReadJsonGivesTheFirelyResult(string json) =>
        Assert.False(StrictIngestEquivalence.AssertEquivalent(json), json);

    [Fact]
    public void ReadJson_ProcedureWithANonPatientSubject_QuarantinedAsBefore()
    {
        var json = DeclinedLines.Single(l => l.Contains("Group/g", StringComparison.Ordinal));

        var result = Assert.Single(new FhirInputReader().ReadJson(json, "x:1"));

        Assert.Equal("Procedure.subject is not a Patient reference", result.QuarantineReason);
    }

    /// <summary>Why the fast path declines a line (the element it stopped at), or that only the projection did.</summary>
    internal static string Why(string json) =>
        StrictResourceReader.IsProvablyValid(json) ? "proven valid; the projection declined" : StrictResourceReader.LastDecline ?? "declined";

    /// <summary>The committed sample's non-blank lines, each with its origin, at most <paramref name="perFile"/> per file.</summary>
    internal static List<(string Origin, string Text)> SampleLines(int perFile) =>
        [.. Directory.GetFiles(Path.Combine(RepositoryPaths.Samples, "synthetic-hospital"), "*.ndjson")
            .Order(StringComparer.Ordinal)
            .SelectMany(f => File.ReadLines(f)
                .Select((line, i) => (Origin: $"{Path.GetFileName(f)}:{i + 1}", Text: line))
                .Where(l => !string.IsNullOrWhiteSpace(l.Text))
                .Take(perFile))];
}
