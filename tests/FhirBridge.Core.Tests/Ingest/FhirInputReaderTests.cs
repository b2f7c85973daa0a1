using FhirBridge.Ingest;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Ingest;

/// <summary>Reading FHIR R4 JSON, Bundles and NDJSON; quarantining bad input with its origin and reason (spec, "Data handling: Bad input").</summary>
public sealed class FhirInputReaderTests : IDisposable
{
    private const string ValidProcedure = """{"resourceType":"Procedure","id":"op1","status":"completed","subject":{"reference":"Patient/p1"},"performedDateTime":"2024-03-01T09:00:00+08:00"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-in-").FullName;
    private readonly FhirInputReader _reader = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReadNdjson_GoodAndBadLines_KeepsGoodAndQuarantinesBadWithLineNumbers()
    {
        var lines = string.Join('\n',
            ValidProcedure,
            "{ this is not json",
            """{"resourceType":"Frobnicate","id":"x"}""",
            """{"resourceType":"Procedure","id":"nosubject","status":"completed"}""",
            "",
            """{"resourceType":"Procedure","id":"op2","status":"completed","subject":{"reference":"Patient/p1"}}""");

        var results = _reader.ReadNdjson(new StringReader(lines), "Procedure.ndjson").ToList();

        Assert.Equal(["Procedure.ndjson:1", "Procedure.ndjson:2", "Procedure.ndjson:3", "Procedure.ndjson:4", "Procedure.ndjson:6"], results.Select(r => r.Origin));
        Assert.Equal([false, true, true, true, false], results.Select(r => r.IsQuarantined));
        Assert.Contains("malformed JSON", results[1].QuarantineReason, StringComparison.Ordinal);
        Assert.Contains("unknown resource type", results[2].QuarantineReason, StringComparison.Ordinal);
        Assert.Contains("Procedure.subject", results[3].QuarantineReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("123")]
    [InlineData("null")]
    [InlineData("\"text\"")]
    [InlineData("{}")]
    [InlineData("{\"resourceType\":5}")]
    [InlineData("{\"resourceType\":\"Procedure\",\"id\":\"x\",\"status\":\"completed\",\"subject\":{\"reference\":\"Patient/p\"},\"performedDateTime\":123}")]
    [InlineData("{\"resourceType\":\"Procedure\",\"id\":\"x\",\"status\":\"completed\",\"subject\":[]}")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":{\"resourceType\":\"Nope\"}}]}")]
    [InlineData("{\"resourceType\":\"Procedure\",\"id\":\"x\"")]
    public void ReadJson_ShapesThatAreNotAResource_AreQuarantinedNotThrown(string json)
    {
        var results = _reader.ReadJson(json, "odd.ndjson:1").ToList();

        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.IsQuarantined, $"{json} was accepted as {r.ResourceType}"));
        Assert.All(results, r => Assert.False(string.IsNullOrWhiteSpace(r.QuarantineReason)));
    }

    [Fact]
    public void ReadJson_InvalidValue_QuarantinesWithoutQuotingTheValue()
    {
        // The value could be a birth date or a name: the reason names the element, never the content.
        var result = Assert.Single(_reader.ReadJson("""{"resourceType":"Patient","id":"p1","birthDate":"1970-13-45"}""", "p.json"));

        Assert.True(result.IsQuarantined);
        Assert.Contains("Patient.birthDate", result.QuarantineReason, StringComparison.Ordinal);
        Assert.DoesNotContain("1970-13-45", result.QuarantineReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadJson_SubjectIsAGroup_IsQuarantined()
    {
        var result = Assert.Single(_reader.ReadJson("""{"resourceType":"Procedure","id":"op1","status":"completed","subject":{"reference":"Group/g1"}}""", "x.json"));

        Assert.Equal("Procedure.subject is not a Patient reference", result.QuarantineReason);
    }

    [Fact]
    public void ReadJson_ResourceWithoutId_IsQuarantined()
    {
        var result = Assert.Single(_reader.ReadJson("""{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/p1"}}""", "x.json"));

        Assert.Equal("the resource has no id", result.QuarantineReason);
    }

    [Fact]
    public void ReadJson_TransactionBundle_ResolvesUrnUuidReferencesAndQuarantinesOneBadEntryAlone()
    {
        var bundle = """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","id":"p9"},"request":{"method":"PUT","url":"Patient/p9"}},
              {"fullUrl":"urn:uuid:22222222-2222-2222-2222-222222222222","resource":{"resourceType":"Procedure","status":"completed","subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"}},"request":{"method":"POST","url":"Procedure"}},
              {"resource":{"resourceType":"Procedure","id":"bad","status":"completed"},"request":{"method":"PUT","url":"Procedure/bad"}}
            ]}
            """;

        var results = _reader.ReadJson(bundle, "b.json").ToList();

        Assert.Equal(["b.json#entry[0]", "b.json#entry[1]", "b.json#entry[2]"], results.Select(r => r.Origin));
        var procedure = Assert.IsType<ProcedureRecord>(results[1].Record);
        Assert.Equal(new ResourceKey("Patient", "p9"), procedure.Patient);
        Assert.Equal("22222222-2222-2222-2222-222222222222", procedure.Ref.Key.Id);
        Assert.True(results[2].IsQuarantined);
    }

    [Fact]
    public void ReadNdjson_QuarantinedLines_CarryTheSha256OfTheirTextAndAcceptedLinesNone()
    {
        const string bad = """{"resourceType":"Procedure","id":"g1","status":"completed","subject":{"reference":"Group/g1"}}""";
        const string otherBad = """{"resourceType":"Procedure","id":"g2","status":"completed","subject":{"reference":"Group/g1"}}""";

        var results = _reader.ReadNdjson(new StringReader(string.Join('\n', bad, ValidProcedure, otherBad, "{ broken")), "f.ndjson").ToList();

        Assert.Equal(
            [Sha256Hex(bad), null, Sha256Hex(otherBad), Sha256Hex("{ broken")],
            results.Select(r => r.Fingerprint));
        Assert.Equal(results[0].QuarantineReason, results[2].QuarantineReason); // same reason: only the fingerprint tells them apart
    }

    [Fact]
    public void ReadJson_BadBundleEntries_AreFingerprintedByTheirOwnJsonAsRead()
    {
        const string bad = """{"resourceType":"Procedure","id":"bad","status":"completed"}""";
        const string nestedBad = """{"resourceType":"Procedure","id":"bad2","status":"completed","subject":{"reference":"Group/g1"}}""";
        string Bundle(string good) => $$$"""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"resource":{{{good}}}},
              {"resource": {{{bad}}} },
              {"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{{{nestedBad}}}}]}}
            ]}
            """;

        var results = _reader.ReadJson(Bundle(ValidProcedure), "b.json").ToList();
        var changed = _reader.ReadJson(Bundle(ValidProcedure.Replace("op1", "op7", StringComparison.Ordinal)), "b.json").ToList();

        Assert.Equal(["b.json#entry[0]", "b.json#entry[1]", "b.json#entry[2]#entry[0]"], results.Select(r => r.Origin));
        Assert.Equal([null, Sha256Hex(bad), Sha256Hex(nestedBad)], results.Select(r => r.Fingerprint));
        Assert.Equal(results.Select(r => r.Fingerprint), changed.Select(r => r.Fingerprint)); // the rest of the Bundle changed, the bad entries did not
    }

    [Fact]
    public void ReadJson_BundleItselfInvalid_IsFingerprintedByItsWholeText()
    {
        const string bundle = """{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"p1"}}]}"""; // no type

        var result = Assert.Single(_reader.ReadJson(bundle, "b.json"));

        Assert.True(result.IsQuarantined);
        Assert.Equal(Sha256Hex(bundle), result.Fingerprint);
    }

    private static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void ReadPath_Directory_ReadsJsonAndNdjsonInPathOrderAndSkipsOtherFiles()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, "b.ndjson"), ValidProcedure + "\n");
        File.WriteAllText(Path.Combine(_dir, "sub", "a.json"), ValidProcedure.Replace("op1", "op3", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not FHIR");

        var results = _reader.ReadPath(_dir).ToList();

        Assert.Equal(["b.ndjson:1", "sub/a.json"], results.Select(r => r.Origin));
        Assert.All(results, r => Assert.False(r.IsQuarantined));
    }

    [Fact]
    public void ReadPath_MissingPath_Throws() =>
        Assert.Throws<FileNotFoundException>(() => _reader.ReadPath(Path.Combine(_dir, "missing")).ToList());

    [Fact]
    public void Project_Patient_KeepsBirthDateAndGenderOnly()
    {
        var result = Assert.Single(_reader.ReadJson(
            """{"resourceType":"Patient","id":"p1","birthDate":"1970-05-01","gender":"female","name":[{"family":"Zhang"}],"telecom":[{"system":"phone","value":"555"}]}""", "p.json"));

        var patient = Assert.IsType<PatientRecord>(result.Record);
        Assert.Equal(new PatientRecord(new SourceRef(new ResourceKey("Patient", "p1"), null, null), ClinicalTime.Parse("1970-05-01"), "female"), patient);
    }
}
