namespace FhirBridge.Cli.Synthetic;

/// <summary>
/// A later operation the generator wrote as a candidate return (within the window) that the rule must exclude.
/// </summary>
/// <param name="ProcedureId">The candidate's principal Procedure id.</param>
/// <param name="Reason">The first failing check: <c>not-in-theatre</c>, <c>other-department</c>, <c>planned</c> or <c>unrelated-condition</c>.</param>
public sealed record SyntheticExcludedCandidate(string ProcedureId, string Reason);
