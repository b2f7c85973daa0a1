using FhirBridge.Fhir.Pull;
using FhirBridge.Ingest;
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

    [Fact]
    public async Task PullAsync_LinksToFolders_FollowedButEachRealFolderReadOnce()
    {
        // A link back up the tree (a loop) and a second link to a folder already read: each real folder is read once.
        // A link to a folder outside the source folder is followed.
        var input = Directory.CreateDirectory(Path.Combine(_dir, "in")).FullName;
        File.WriteAllLines(Path.Combine(input, "Procedure.ndjson"), Enumerable.Range(0, 3).Select(Procedure));
        var elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "elsewhere")).FullName;
        File.WriteAllLines(Path.Combine(elsewhere, "More.ndjson"), Enumerable.Range(10, 2).Select(Procedure));
        Directory.CreateSymbolicLink(Path.Combine(input, "loop"), input);
        Directory.CreateSymbolicLink(Path.Combine(input, "linked"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(input, "linked-again"), "../elsewhere");
        var store = new SqliteStateStore(Path.Combine(_dir, "state.db"));
        await store.MigrateAsync(default);

        var summary = await new DirectorySource("h", input).PullAsync(store, null, default);

        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.Equal(["Procedure.ndjson", "linked/More.ndjson"], FhirInputReader.FhirFilesUnder(input).Select(f => Path.GetRelativePath(input, f)));
        Assert.Null(await store.GetFileFingerprintAsync("h", "loop/Procedure.ndjson", default));
        Assert.NotNull(await store.GetFileFingerprintAsync("h", "Procedure.ndjson", default));
    }

    private sealed class Inline(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
