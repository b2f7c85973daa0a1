using System.Globalization;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using static FhirBridge.Fhir.Tests.Support.Fhir;

namespace FhirBridge.Fhir.Tests.Pull;

/// <summary>
/// REST search pulls against a FHIR server without faults: these also run against FHIRBRIDGE_TEST_FHIR_URL, so they check
/// what they seeded (an external server may hold more), and check exact counts only in-process.
/// </summary>
public sealed class RestSourceTests
{
    [Fact]
    public async Task PullAsync_CleanServer_StoresEverythingAndSetsWatermarks()
    {
        await using var h = await PullHarness.StartAsync();
        string p1 = Id("p1"), p2 = Id("p2");
        (Resource Resource, string? Patient)[] seeded =
        [
            (Organization(Id("org")), null), (Location(Id("theatre")), null), (Patient(p1), p1), (Patient(p2), p2),
            (Encounter(Id("enc1"), p1), p1), (Condition(Id("cond1"), p1), p1), (Procedure(Id("op1"), p1), p1), (Procedure(Id("op2"), p2), p2),
        ];
        await h.SeedAsync([.. seeded.Select(s => s.Resource)]);

        var summary = await h.Rest().PullAsync(h.Store, null, default);

        foreach (var group in seeded.GroupBy(s => s.Resource.TypeName))
        {
            var stored = new List<DateTimeOffset?>();
            foreach (var (resource, patient) in group)
            {
                var held = await h.StoredAsync(resource.TypeName, resource.Id!, patient);
                Assert.True(held is not null, $"{resource.TypeName}/{resource.Id} was not stored");
                stored.Add(held.LastUpdated);
            }

            // The watermark is the highest meta.lastUpdated seen: at least that of every seeded resource (exactly, in-process).
            var watermark = DateTimeOffset.Parse((await h.WatermarkAsync(RestSource.WatermarkKey(group.Key)))!, CultureInfo.InvariantCulture);
            Assert.True(watermark >= stored.Max(), $"{group.Key}: watermark {watermark:O}");
            if (!h.Target.IsExternal)
            {
                Assert.Equal(stored.Max(), watermark);
            }
        }

        if (!h.Target.IsExternal)
        {
            Assert.Equal(8, summary.Stored);
            Assert.Equal(2, summary.ResourcesByType["Procedure"]);
            // One search per type, in the default order (referenced types first), each with _count and _sort, no _lastUpdated yet.
            var searches = h.Requests(FhirInteraction.Search);
            Assert.Equal(RestSourceSettings.DefaultResourceTypes, searches.Select(r => r.ResourceType));
            Assert.All(searches, r => Assert.Contains("_count=200&_sort=_lastUpdated", r.PathAndQuery, StringComparison.Ordinal));
            Assert.All(searches, r => Assert.DoesNotContain("_lastUpdated=", r.PathAndQuery, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task PullAsync_AfterUpdates_FetchesOnlyChanges()
    {
        await using var h = await PullHarness.StartAsync();
        var patient = Id("p1");
        var ids = Enumerable.Range(0, 5).Select(i => Id("op" + i)).ToArray();
        await h.SeedAsync(Patient(patient));
        foreach (var id in ids)
        {
            h.Clock.Advance(TimeSpan.FromMinutes(1)); // in-process: each one a minute apart, so only the last is in the overlap
            await h.SeedAsync(Procedure(id, patient));
        }

        var settings = new RestSourceSettings { ResourceTypes = ["Patient", "Procedure"] };
        await h.Rest(settings).PullAsync(h.Store, null, default);
        var first = await h.WatermarkAsync(RestSource.WatermarkKey("Procedure"));
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        if (h.Target.IsExternal)
        {
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // past the overlap window on the server's own clock
        }

        await h.SeedAsync(Procedure(ids[0], patient, EventStatus.EnteredInError), Procedure(ids[1], patient, EventStatus.Stopped));

        var second = await h.Rest(settings).PullAsync(h.Store, null, default);

        Assert.Contains("entered-in-error", (await h.StoredAsync("Procedure", ids[0], patient))!.Json, StringComparison.Ordinal);
        Assert.Contains("stopped", (await h.StoredAsync("Procedure", ids[1], patient))!.Json, StringComparison.Ordinal);
        Assert.True(string.CompareOrdinal(await h.WatermarkAsync(RestSource.WatermarkKey("Procedure")), first) > 0);
        if (!h.Target.IsExternal)
        {
            // The two updated, plus the last one seeded, which lies in the two-second overlap; the patient likewise.
            Assert.Equal(3, second.ResourcesByType["Procedure"]);
            Assert.Equal(2, second.Stored);
            var search = h.Requests(FhirInteraction.Search, "Procedure")[^1].PathAndQuery;
            var from = (DateTimeOffset.Parse(first!, CultureInfo.InvariantCulture) - TimeSpan.FromSeconds(2)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);
            Assert.Contains("_lastUpdated=ge" + Uri.EscapeDataString(from) + "%2B00%3A00&", search, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PullAsync_SmallPageSize_FollowsNextLinksToTheEnd()
    {
        await using var h = await PullHarness.StartAsync();
        var patient = Id("p1");
        var ids = Enumerable.Range(0, 7).Select(i => Id("op" + i)).ToArray();
        await h.SeedAsync([Patient(patient), .. ids.Select(id => Procedure(id, patient))]);

        var summary = await h.Rest(new RestSourceSettings { ResourceTypes = ["Procedure"], PageSize = 2 }).PullAsync(h.Store, null, default);

        foreach (var id in ids)
        {
            Assert.NotNull(await h.StoredAsync("Procedure", id, patient));
        }

        if (!h.Target.IsExternal)
        {
            Assert.Equal(7, summary.ResourcesByType["Procedure"]);
            Assert.Single(h.Requests(FhirInteraction.Search, "Procedure"));
            Assert.Equal(3, h.Requests(FhirInteraction.SearchPage).Count);
        }
    }

    [Fact]
    public async Task PullAsync_EntryTheReaderRefuses_IsQuarantinedWithItsPageAndEntry()
    {
        await using var h = await PullHarness.StartAsync();
        var patient = Id("p1");
        var orphan = Procedure(Id("op-group"), patient);
        orphan.Subject = new ResourceReference("Group/" + Id("g1")); // valid FHIR, but the rule needs a Patient subject
        await h.SeedAsync(Patient(patient), Procedure(Id("op1"), patient), orphan);

        var summary = await h.Rest(new RestSourceSettings { ResourceTypes = ["Procedure"] }).PullAsync(h.Store, null, default);

        var quarantined = await h.Store.GetQuarantineAsync(PullHarness.Source, default);
        var item = Assert.Single(quarantined, q => q.Reason.Contains("subject is not a Patient", StringComparison.Ordinal));
        Assert.Matches(@"^Procedure\?page=\d+#entry\[\d+\]$", item.Origin);
        Assert.NotNull(await h.StoredAsync("Procedure", Id("op1"), patient));
        if (!h.Target.IsExternal)
        {
            Assert.Equal("Procedure?page=1#entry[1]", item.Origin);
            Assert.Equal(1, summary.Quarantined);
        }
    }
}
