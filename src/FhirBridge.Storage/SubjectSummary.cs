namespace FhirBridge.Storage;

/// <summary>
/// A registry subject as last handed to the registry (the projection): enough for the overview's counts and the
/// quality chart, nothing identifying.
/// </summary>
/// <param name="SourceName">The configured source.</param>
/// <param name="SubjectKey">The pseudonymous ResearchSubject identifier.</param>
/// <param name="Cohort">The cohort group (<c>ResearchSubject.assignedArm</c>).</param>
/// <param name="IndexStart">The index operation's start as sent, with the source's offset (<c>ResearchSubject.period.start</c>).</param>
/// <param name="Outcome">The outcome Observation's value (<c>unplanned-return</c>, <c>no-return</c>, <c>follow-up-open</c>), or null if none is held.</param>
public sealed record SubjectSummary(string SourceName, string SubjectKey, string Cohort, string IndexStart, string? Outcome);
