using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Fhir.Pull;

/// <summary>
/// Ingest commits in batches bounded by count and by JSON size: few enough transactions that opaque ids do not rewrite
/// the same index pages again and again, small enough that a batch is little memory. Each batch is one store call,
/// and the batcher reports progress once per batch, with the count so far.
/// </summary>
public sealed class IngestBatcherTests
{
    [Fact]
    public async Task AddAsync_ManySmallResources_StoresABatchAtTheItemLimit()
    {
        using var store = await ThrowAwayStore.CreateAsync("fhirbridge-batcher-");
        var progress = new Recorded();
        var batcher = new IngestBatcher(store.Store, "s", progress);

        for (var i = 0; i < IngestBatcher.MaxItems - 1; i++)
        {
            await batcher.AddAsync(Observation(i, 0), default);
        }

        Assert.Empty(progress.Counts);
        await batcher.AddAsync(Observation(IngestBatcher.MaxItems - 1, 0), default);
        Assert.Equal([IngestBatcher.MaxItems], progress.Counts);

        await batcher.AddAsync(Observation(IngestBatcher.MaxItems, 0), default);
        await batcher.FlushAsync(null, null, default);
        Assert.Equal([IngestBatcher.MaxItems, IngestBatcher.MaxItems + 1], progress.Counts);
        Assert.Equal(IngestBatcher.MaxItems + 1, batcher.Summary().Stored);
        Assert.Equal(IngestBatcher.MaxItems + 1, (await store.Store.GetPatientResourcesAsync("s", "p1", default)).Count);
    }

    [Fact]
    public async Task AddAsync_LargeResources_StoresABatchAtTheJsonLimit()
    {
        using var store = await ThrowAwayStore.CreateAsync("fhirbridge-batcher-");
        var progress = new Recorded();
        var batcher = new IngestBatcher(store.Store, "s", progress);

        // Each resource carries 1 Mi characters of JSON: the batch closes on the sixteenth, far below the item limit.
        const int large = 1 << 20;
        for (var i = 0; i < 15; i++)
        {
            await batcher.AddAsync(Observation(i, large), default);
        }

        Assert.Empty(progress.Counts);
        await batcher.AddAsync(Observation(15, large), default);
        Assert.Equal(IngestBatcher.MaxJsonChars / large, progress.Counts.Single());
    }

    private static IngestResult Observation(int n, int padding)
    {
        var id = "o" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = $$$"""{"resourceType":"Observation","id":"{{{id}}}","status":"final","code":{"text":"{{{new string('x', padding)}}}"},"subject":{"reference":"Patient/p1"}}""";
        return new IngestResult("test", "Observation", null, null) { Id = id, VersionId = "1", Patient = "p1", Json = json };
    }

    // Synchronous, unlike Progress<T>, so the counts are there when the call returns.
    private sealed class Recorded : IProgress<int>
    {
        public List<int> Counts { get; } = [];

        public void Report(int value) => Counts.Add(value);
    }
}
