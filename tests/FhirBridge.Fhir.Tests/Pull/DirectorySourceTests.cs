using FhirBridge.Fhir.Pull;
using FhirBridge.Storage.Sqlite;

namespace FhirBridge.Tests.Fhir.Pull;

/// <summary>The Directory source: files read once unless changed, bad lines quarantined, progress reported per batch.</summary>
public sealed class DirectorySourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-dir-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Procedure(int i) =>
        $$$"""{"resourceType":"Procedure","id":"op{{{i}}}","status":"completed","subject":{"reference":"Patient/p{{{i % 7}}}"}}""";

    [Fact]
    public async Task PullAsync_UnchangedFilesReadOnceChangedFileAgain_WithProgressAndQuarantine()
    {
        var input = Directory.CreateDirectory(Path.Combine(_dir, "in")).FullName;
        File.WriteAllLines(Path.Combine(input, "Procedure.ndjson"), [.. Enumerable.Range(0, 1200).Select(Procedure), "{ broken"]);
        var store = new SqliteStateStore(Path.Combine(_dir, "state.db"));
        await store.MigrateAsync(default);
        var source = new DirectorySource("h", input);
        var reports = new List<int>();

        var first = await source.PullAsync(store, new Inline(reports.Add), default);
        var second = await source.PullAsync(store, null, default);
        File.AppendAllText(Path.Combine(input, "Procedure.ndjson"), Procedure(5000) + "\n");
        var third = await source.PullAsync(store, null, default);

        Assert.Equal((1200, 1, 1200), (first.ResourcesByType["Procedure"], first.Quarantined, first.Stored));
        Assert.Equal([1201], reports); // one batch, stored when the file ends (IngestBatcherTests: progress per batch)
        Assert.Empty(second.ResourcesByType);
        Assert.Equal((1201, 1), (third.ResourcesByType["Procedure"], third.Stored)); // the changed file is read again; only the new line is new

        // The bad line, met on both reads of its file, is quarantined once.
        Assert.Equal(["Procedure.ndjson:1201"], (await store.GetQuarantineAsync("h", default)).Select(q => q.Origin));
    }

    private sealed class Inline(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
