namespace FhirBridge.Cli.Synthetic;

/// <summary>A spine operation the generator wrote so that it fails to be an index operation.</summary>
/// <param name="PatientId">The Patient id.</param>
/// <param name="ProcedureId">The operation's principal Procedure id.</param>
/// <param name="EncounterId">The Encounter of the operation.</param>
/// <param name="Cohort">The cohort group its diagnoses would give.</param>
/// <param name="Reason">The first failing check: <c>not-in-theatre</c>, <c>other-department</c> or <c>age-out-of-range</c>.</param>
public sealed record SyntheticRefusedIndex(string PatientId, string ProcedureId, string EncounterId, string Cohort, string Reason)
{
    /// <summary>The same refusal with every id passed through <paramref name="name"/>.</summary>
    internal SyntheticRefusedIndex Renamed(Func<string, string> name) =>
        this with { PatientId = name(PatientId), ProcedureId = name(ProcedureId), EncounterId = name(EncounterId) };
}
