using FhirBridge.Detection;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Tests.Builders;
using FhirBridge.Tests.Conformance;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Registry;

/// <summary>What the builder and the reconciler produce passes the profiles in <c>profiles/</c>: every kind of change set.</summary>
public class BuiltRecordsConformTests
{
    private static readonly Pseudonymizer Pseudonyms = new("conformance-test-key-000001");
    private static readonly DateTimeOffset Recorded = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static TimelineBuilder Rich() => new TimelineBuilder()
        .SpineIndex(end: "2024-03-01T12:30:00+08:00", more: p => p.Reason("M51.1"))
        .Procedure("adj", p => p.At("2024-03-01T09:30:00+08:00").Icd9("84.51").InTheatre().ByOrthopaedics())
        .Return("ret", "2024-03-05T10:00:00+08:00")
        .SpineIndex("op2", "2024-09-01T09:00:00+08:00")
        .Observation("bmi", "http://loinc.org", "39156-5", 31.4m, "kg/m2", "2024-02-28T10:00:00+08:00")
        .Observation("crp", "http://loinc.org", "1988-5", 12m, "mg/L", "2024-03-04", "preliminary");

    private static (IReadOnlyList<ProjectedRecord> Projection, IReadOnlyList<ChangeSet> Changes) Reconcile(TimelineBuilder timeline, string asOf, IReadOnlyList<ProjectedRecord> previous)
    {
        var run = timeline.Evaluate(asOf: asOf);
        var builder = new RegistryRecordBuilder("hospital-a", new StudyDefinition(), Pseudonyms);
        return Reconciler.Reconcile("hospital-a", builder.Study(), builder.Build(run.Timeline, run.Subjects), previous, Recorded);
    }

    private static void AssertConform(IReadOnlyList<ChangeSet> changes)
    {
        Assert.NotEmpty(changes);

        // A transaction must resolve every urn:uuid it uses to one of its own entries (the registry refuses it otherwise).
        var serializer = new FhirJsonSerializer();
        foreach (var change in changes)
        {
            var fullUrls = change.Transaction.Entry.Select(e => e.FullUrl).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var used = System.Text.RegularExpressions.Regex.Matches(serializer.SerializeToString(change.Transaction), "\"reference\":\"(urn:uuid:[0-9a-f-]+)\"").Select(m => m.Groups[1].Value);
            Assert.All(used, u => Assert.Contains(u, fullUrls));
        }

        foreach (var resource in changes.SelectMany(c => c.Transaction.Entry).Select(e => e.Resource).OfType<Resource>())
        {
            var violations = RegistryProfiles.Validate(resource);
            Assert.True(violations.Count == 0, $"{resource.TypeName}: " + string.Join("; ", violations.Select(v => $"{v.Path} {v.Rule}: {v.Message}")));
        }
    }

    [Fact]
    public void NewSubjects_WithReturnAdjunctRiskFactorsAndOpenWindow_Conform()
    {
        AssertConform(Reconcile(Rich(), "2024-09-10T00:00:00+08:00", []).Changes);
    }

    [Fact]
    public void Update_WindowClosed_Conforms()
    {
        var (projection, _) = Reconcile(Rich(), "2024-09-10T00:00:00+08:00", []);

        AssertConform(Reconcile(Rich(), TimelineBuilder.LongAfter, projection).Changes);
    }

    [Fact]
    public void ReturnRetracted_Conforms()
    {
        var (projection, _) = Reconcile(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00"), TimelineBuilder.LongAfter, []);

        var (_, changes) = Reconcile(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00", p => p.EnteredInError()), TimelineBuilder.LongAfter, projection);

        Assert.Equal(ProvenanceBuilder.Reasons.ReturnRetracted, Assert.Single(changes).Reason);
        AssertConform(changes);
    }

    [Fact]
    public void SubjectRetracted_Conforms()
    {
        var (projection, _) = Reconcile(new TimelineBuilder().SpineIndex().Return("ret", "2024-03-05T10:00:00+08:00"), TimelineBuilder.LongAfter, []);

        var (_, changes) = Reconcile(new TimelineBuilder().SpineIndex(more: p => p.EnteredInError()).Return("ret", "2024-03-05T10:00:00+08:00"), TimelineBuilder.LongAfter, projection);

        Assert.Equal(ProvenanceBuilder.Reasons.SubjectRetracted, Assert.Single(changes).Reason);
        AssertConform(changes);
    }
}
