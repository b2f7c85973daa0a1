using System.Globalization;
using FhirBridge.Fhir.Pull;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Fhir.Pull;

/// <summary>
/// The Directory source reads NDJSON in chunks, parsing the next chunk while the current one is stored: it still gives
/// exactly what the one-line-at-a-time reader gives, in line order with the same origins, across chunk boundaries.
/// </summary>
public sealed class DirectorySourceChunkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-chunks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(1300)]
    public async Task ReadNdjsonAsync_AnyNumberOfLines_SameResultsInTheSameOrderAsTheSequentialReader(int count)
    {
        var file = Path.Combine(_dir, "Mixed.ndjson");
        File.WriteAllLines(file, Enumerable.Range(1, count).Select(Line));

        var chunked = new List<string>();
        await foreach (var result in DirectorySource.ReadNdjsonAsync(file, "dir/Mixed.ndjson", default))
        {
            chunked.Add(Describe(result));
        }

        using var text = new StreamReader(file);
        var sequential = new FhirInputReader().ReadNdjson(text, "dir/Mixed.ndjson").Select(Describe).ToList();
        Assert.Equal(sequential, chunked);
    }

    [Fact]
    public async Task ReadNdjsonAsync_CallerStopsEarly_ClosesTheFile()
    {
        var file = Path.Combine(_dir, "Many.ndjson");
        File.WriteAllLines(file, Enumerable.Range(1, 2000).Select(Line));

        await foreach (var result in DirectorySource.ReadNdjsonAsync(file, "Many.ndjson", default))
        {
            Assert.StartsWith("Many.ndjson:", result.Origin, StringComparison.Ordinal);
            break;
        }

        // Exclusive access only succeeds once no chunk reader holds the file open (.NET locks shared readers out on every platform).
        using var exclusive = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        Assert.True(exclusive.CanWrite);
    }

    // Valid lines (fast path), lines the fast path declines (an extension), bad lines, blank lines and Bundles of two.
    private static string Line(int n) => (n % 97, n % 13) switch
    {
        (0, _) => "",
        (1, _) => "   ",
        (2, _) => "{ broken",
        (3, _) => $$$"""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"b{{{n}}}"}},{"resource":{"resourceType":"Patient","id":"c{{{n}}}","gender":"nope"}}]}""",
        (_, 0) => $$$"""{"resourceType":"Patient","id":"x{{{n}}}","extension":[{"url":"http://x","valueString":"y"}]}""",
        _ => $$$"""{"resourceType":"Procedure","id":"op{{{n}}}","status":"completed","subject":{"reference":"Patient/p{{{n % 7}}}"},"performedDateTime":"2024-03-01T09:00:00+08:00"}""",
    };

    private static string Describe(IngestResult r) => string.Join(
        " | ",
        r.Origin,
        r.ResourceType ?? "-",
        r.QuarantineReason ?? "-",
        r.Id ?? "-",
        r.VersionId ?? "-",
        r.LastUpdated?.ToString("o", CultureInfo.InvariantCulture) ?? "-",
        r.Patient ?? "-",
        r.Json ?? "-",
        r.Record?.ToString() ?? "-");
}
