namespace FhirBridge.Reporting;

/// <summary>One registry subject as the quality chart reads it.</summary>
/// <param name="Cohort">Its cohort group (<c>degenerative</c>, ..., <c>unclassified</c>).</param>
/// <param name="IndexStart">The index operation's start as written at the source, ISO 8601 with its offset; its month is the month it counts in.</param>
/// <param name="Outcome">Its outcome (<c>Detection.Outcome</c>), or null when none is known (counted nowhere).</param>
public sealed record QualitySubject(string Cohort, string IndexStart, string? Outcome);
