using System.Globalization;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Push;

/// <summary>
/// Writes each change set as a transaction Bundle file, named by its outbox id so a retried write replaces the same
/// file; written to a temporary name and moved, so a reader never sees half a Bundle.
/// </summary>
public sealed class DirectoryRegistrySink(string path) : IRegistrySink
{
    /// <inheritdoc />
    public string Describe() => path;

    /// <inheritdoc />
    public async Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(path);
        var name = string.Create(CultureInfo.InvariantCulture, $"{item.Id:D8}-{item.SubjectKey[..Math.Min(16, item.SubjectKey.Length)]}.json");
        var target = Path.Combine(path, name);
        var temporary = target + ".tmp";
        await File.WriteAllTextAsync(temporary, item.Bundle, cancellationToken);
        File.Move(temporary, target, overwrite: true);
        return null;
    }
}
