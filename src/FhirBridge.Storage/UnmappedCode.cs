namespace FhirBridge.Storage;

/// <summary>
/// A source code that no mapping covers, over every stored <c>unmapped</c> decision: the list a registry admin turns
/// into a ConceptMap.
/// </summary>
/// <param name="System">The code system as sent (empty when the coding had none).</param>
/// <param name="Code">The code as sent.</param>
/// <param name="Decisions">How many unmapped decisions name it.</param>
/// <param name="Sources">The configured sources it was seen in, sorted.</param>
/// <param name="Examples">A few resources that carry it (<c>Type/id/_history/version</c>), sorted.</param>
public sealed record UnmappedCode(string System, string Code, int Decisions, IReadOnlyList<string> Sources, IReadOnlyList<string> Examples)
{
    /// <summary>
    /// Groups the codes of unmapped decisions (one row per code named by a decision) into the admin's list, most
    /// decisions first; both stores read the rows and leave the grouping here, so they answer alike.
    /// </summary>
    internal static IReadOnlyList<UnmappedCode> Group(IEnumerable<(string Code, string SourceName, string Resource)> rows, int examples) =>
        [.. rows
            .GroupBy(r => r.Code, StringComparer.Ordinal)
            .Select(g =>
            {
                // Codes are logged as system|code; a coding without a system is |code.
                var bar = g.Key.IndexOf('|', StringComparison.Ordinal);
                var (system, code) = bar < 0 ? (string.Empty, g.Key) : (g.Key[..bar], g.Key[(bar + 1)..]);
                return new UnmappedCode(
                    system,
                    code,
                    g.Count(),
                    [.. g.Select(r => r.SourceName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                    [.. g.Select(r => r.Resource).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(examples)]);
            })
            .OrderByDescending(u => u.Decisions)
            .ThenBy(u => u.System, StringComparer.Ordinal)
            .ThenBy(u => u.Code, StringComparer.Ordinal)];
}
