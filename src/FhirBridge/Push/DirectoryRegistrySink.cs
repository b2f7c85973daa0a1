using System.Globalization;
using System.Text;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Push;

/// <summary>
/// Writes each change set as a transaction Bundle file, named by its outbox id so a retried write replaces the same
/// file; written to a temporary name and moved, so a reader never sees half a Bundle.
/// </summary>
/// <remarks>
/// The write is synchronous, the Bundle's UTF-8 bytes (no byte order mark, as before) in one call: a change set is tens
/// of kilobytes into the page cache, and the asynchronous file API's thread-pool hand-offs cost more CPU than the write.
/// </remarks>
public sealed class DirectoryRegistrySink(string path) : IRegistrySink
{
    /// <inheritdoc />
    public string Describe() => path;

    /// <inheritdoc />
    public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(path);
        var name = string.Create(CultureInfo.InvariantCulture, $"{item.Id:D8}-{item.SubjectKey[..Math.Min(16, item.SubjectKey.Length)]}.json");
        var target = Path.Combine(path, name);
        var temporary = target + ".tmp";
        File.WriteAllBytes(temporary, Encoding.UTF8.GetBytes(item.Bundle));
        File.Move(temporary, target, overwrite: true);
        return Task.FromResult<PushFailure?>(null);
    }
}
