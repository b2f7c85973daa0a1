namespace FhirBridge.MappingLog;

/// <summary>
/// One decision, with its evidence. References and codes only: no names, addresses, free text or values,
/// so the log can be shown to registry admins (architecture principle 6).
/// </summary>
/// <param name="Source">The resource version decided on (<c>Type/id/_history/version</c>), or the input location for quarantine.</param>
/// <param name="Decision">One of <see cref="MappingLog.Decision"/>.</param>
/// <param name="Rule">The spec clause (see <c>Detection.Clause</c>) or the ConceptMap URL used.</param>
/// <param name="Reason">A reason code (e.g. <c>not-in-theatre</c>) or the category reached.</param>
public sealed record MappingLogEntry(string Source, string Decision, string Rule, string? Reason = null)
{
    /// <summary>The codes involved, as <c>system|code</c>.</summary>
    public IReadOnlyList<string> Codes { get; init; } = [];

    /// <summary>The mapped code a prefix match used (e.g. <c>81.07</c> for <c>81.0700x001</c>).</summary>
    public string? Prefix { get; init; }

    /// <summary>The index operation (principal Procedure) a candidate-return decision belongs to.</summary>
    public string? Index { get; init; }

    /// <summary>Other resources used as evidence (Location, Organization, ServiceRequest, Condition), as <c>Type/id</c>.</summary>
    public IReadOnlyList<string> Evidence { get; init; } = [];

    /// <summary>A short explanation built only from codes, references and rule names.</summary>
    public string? Detail { get; init; }
}
