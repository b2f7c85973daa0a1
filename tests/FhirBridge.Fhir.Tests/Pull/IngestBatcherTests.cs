using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.Ingest;
using FhirBridge.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Tests.Fhir.Pull;

/// <summary>
/// Ingest commits in batches bounded by count and by JSON size: few enough transactions that opaque ids do not rewrite
/// the same index pages again and again, small enough that a batch is little memory. A full batch is stored while
/// reading goes on; the batcher reports progress once per batch stored, with the count read up to that batch.
/// </summary>
public sealed class IngestBatcherTests
{
    [Fact]
    public async Task AddAsync_ManySmallResources_ClosesABatchAtTheItemLimit()
    {
        using var store = await ThrowAwayStore.CreateAsync("fhirbridge-batcher-");
        var progress = new Recorded();
        await using var batcher = new IngestBatcher(store.Store, "s", progress);

        for (var i = 0; i <= IngestBatcher.MaxItems; i++)
        {
            await batcher.AddAsync(Observation(i, 0), default);
        }

        await batcher.FlushAsync(null, null, default);

        Assert.Equal([IngestBatcher.MaxItems, IngestBatcher.MaxItems + 1], progress.Counts);
        Assert.Equal(IngestBatcher.MaxItems + 1, batcher.Summary().Stored);
        Assert.Equal(IngestBatcher.MaxItems + 1, (await store.Store.GetPatientResourcesAsync("s", "p1", default)).Count);
    }

    [Fact]
    public async Task AddAsync_LargeResources_ClosesABatchAtTheJsonLimit()
    {
        using var store = await ThrowAwayStore.CreateAsync("fhirbridge-batcher-");
        var progress = new Recorded();
        await using var batcher = new IngestBatcher(store.Store, "s", progress);

        // Each resource carries 1 Mi characters of JSON: a batch closes on the eighth, far below the item limit.
        const int large = 1 << 20;
        for (var i = 0; i < 9; i++)
        {
            await batcher.AddAsync(Observation(i, large), default);
        }

        await batcher.FlushAsync(null, null, default);

        Assert.Equal([IngestBatcher.MaxJsonChars / large, 9], progress.Counts);
        Assert.Equal(9, batcher.Summary().Stored);
    }

    [Fact]
    public async Task FlushAsync_ABatchStoredWhileReadingFailed_ThrowsItsFailure()
    {
        // A state file never migrated: storing any batch fails.
        var folder = Directory.CreateTempSubdirectory("fhirbridge-batcher-").FullName;
        try
        {
            await using (var batcher = new IngestBatcher(new SqliteStateStore(Path.Combine(folder, "state.db")), "s"))
            {
                for (var i = 0; i < IngestBatcher.MaxItems; i++)
                {
                    await batcher.AddAsync(Observation(i, 0), default); // the last one closes the batch; it is stored behind
                }

                await Assert.ThrowsAsync<SqliteException>(() => batcher.FlushAsync(null, new Dictionary<string, string> { ["f"] = "1" }, default));
                Assert.Equal(0, batcher.Summary().Stored);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
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
