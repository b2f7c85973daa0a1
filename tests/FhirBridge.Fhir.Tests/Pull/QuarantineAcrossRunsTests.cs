using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using Hl7.Fhir.Model;
using static FhirBridge.Fhir.Tests.Support.Fhir;

namespace FhirBridge.Fhir.Tests.Pull;

/// <summary>
/// docs/rule.md, "Bad input is quarantined": "Nothing is dropped without a record". The origins of the HTTP sources
/// are not stable identities: "Procedure?page=1#entry[1]" or "$export/Procedure-1.ndjson:1" name a different resource
/// in every run, so the store tells quarantined inputs apart by their fingerprint too, and a second, different bad
/// resource at the same place with the same (generic) reason gets its own record.
/// </summary>
public sealed class QuarantineAcrossRunsTests
{
    private static Procedure WithGroupSubject(string id, string patient)
    {
        var p = Procedure(id, patient);
        p.Subject = new ResourceReference("Group/" + Id("g-" + id)); // valid FHIR, but the rule needs a Patient subject
        return p;
    }

    [InProcessFact]
    public async Task RestSource_DifferentBadResourceAtTheSameEntryInALaterRun_IsRecordedToo()
    {
        await using var h = await PullHarness.StartAsync();
        var patient = Id("p1");
        var settings = new RestSourceSettings { ResourceTypes = ["Procedure"] };
        await h.SeedAsync(Patient(patient), Procedure(Id("op1"), patient));
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.SeedAsync(WithGroupSubject(Id("bad1"), patient));
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.SeedAsync(Procedure(Id("op2"), patient));

        var first = await h.Rest(settings).PullAsync(h.Store, null, default); // op1, bad1 (page=1#entry[1]), op2
        Assert.Equal(1, first.Quarantined);

        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await h.SeedAsync(WithGroupSubject(Id("bad2"), patient)); // a new, different bad Procedure

        var second = await h.Rest(settings).PullAsync(h.Store, null, default); // op2 (overlap), bad2 (page=1#entry[1])
        Assert.Equal(1, second.Quarantined);

        // Same origin, same reason, different input: two records.
        var quarantined = await h.Store.GetQuarantineAsync(PullHarness.Source, default);
        Assert.Equal(2, quarantined.Count);
        Assert.Single(quarantined.Select(q => (q.Origin, q.Reason)).Distinct());
        Assert.Equal(2, quarantined.Select(q => q.Fingerprint).Distinct().Count());
    }

    [InProcessFact]
    public async Task BulkExportSource_DifferentBadResourceAtTheSameLineInALaterExport_IsRecordedToo()
    {
        await using var h = await PullHarness.StartAsync();
        var patient = Id("p1");
        var settings = new BulkExportSettings { ResourceTypes = ["Patient", "Procedure"], PollInterval = TimeSpan.FromMilliseconds(200) };
        await h.SeedAsync(Patient(patient), WithGroupSubject(Id("bad1"), patient), Procedure(Id("op1"), patient));

        var first = await h.Bulk(settings).PullAsync(h.Store, null, default);
        Assert.Equal(1, first.Quarantined);

        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await h.SeedAsync(WithGroupSubject(Id("bad2"), patient));

        var second = await h.Bulk(settings).PullAsync(h.Store, null, default);
        Assert.Equal(1, second.Quarantined);

        // Same file:line, same reason, different input: two records.
        var quarantined = await h.Store.GetQuarantineAsync(PullHarness.Source, default);
        Assert.Equal(2, quarantined.Count);
        Assert.Single(quarantined.Select(q => (q.Origin, q.Reason)).Distinct());
        Assert.Equal(2, quarantined.Select(q => q.Fingerprint).Distinct().Count());
    }
}
