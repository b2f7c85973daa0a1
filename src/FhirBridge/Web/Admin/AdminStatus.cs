namespace FhirBridge.Cli.Web.Admin;

/// <summary>The overview: per source its pulls, the outbox, and subjects by outcome.</summary>
/// <param name="At">When this was read.</param>
/// <param name="Sources">Each configured source (and any with a recorded run no longer configured).</param>
/// <param name="Outbox">Outbox items by state (<c>pending</c>, <c>sent</c>, <c>dead</c>).</param>
/// <param name="DeadLettersNotReplayed">Dead letters not replayed yet: the ones that need an admin.</param>
/// <param name="Outcomes">Registry subjects by outcome.</param>
public sealed record AdminStatus(
    DateTimeOffset At,
    IReadOnlyList<SourceStatus> Sources,
    IReadOnlyDictionary<string, int> Outbox,
    int DeadLettersNotReplayed,
    IReadOnlyDictionary<string, int> Outcomes);
