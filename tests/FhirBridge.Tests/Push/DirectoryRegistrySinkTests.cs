using System.Text;
using FhirBridge.Cli.Push;
using FhirBridge.Storage;

namespace FhirBridge.Tests.Push;

/// <summary>The Directory registry: each change set a file of the Bundle's UTF-8 (no byte order mark), replaced on a retry, no temporary left.</summary>
public sealed class DirectoryRegistrySinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-sink-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Send_WritesTheBundleAsUtf8WithoutBom_NamedByIdAndSubject_ReplacingAnEarlierWrite()
    {
        var folder = Path.Combine(_dir, "registry");
        var sink = new DirectoryRegistrySink(folder);
        const string bundle = """{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:x","resource":{"resourceType":"Patient","gender":"é—中"}}]}""";

        Assert.Null(await sink.SendAsync(Item(7, "0123456789abcdef0123", "{}"), default));
        Assert.Null(await sink.SendAsync(Item(7, "0123456789abcdef0123", bundle), default));
        Assert.Null(await sink.SendAsync(Item(8, "short", bundle), default));

        Assert.Equal(["00000007-0123456789abcdef.json", "00000008-short.json"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(new UTF8Encoding(false).GetBytes(bundle), File.ReadAllBytes(Path.Combine(folder, "00000007-0123456789abcdef.json")));
    }

    private static OutboxItem Item(long id, string subject, string bundle) => new(id, "h", "p1", subject, bundle, 0, OutboxState.Pending, null);
}
