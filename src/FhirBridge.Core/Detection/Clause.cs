namespace FhirBridge.Detection;

/// <summary>
/// The clauses of the spec (shared/spec/unplanned-return-to-theatre.md, mirrored for users in docs/rule.md), by the
/// ids the mapping log cites. Each has a unit test named after it in tests/FhirBridge.Core.Tests/Detection.
/// </summary>
public static class Clause
{
#pragma warning disable CS1591 // Each constant is the id of the spec clause its name spells out; docs/rule.md explains them.
    // Data handling before the rule.
    public const string Versions = "data.versions";
    public const string Withdrawn = "data.withdrawn";
    public const string BadInput = "data.bad-input";
    public const string Codes = "data.codes";
    public const string Time = "data.time";
    public const string AsOf = "data.as-of";

    // Operations.
    public const string PartOf = "operations.part-of";
    public const string Adjunct = "operations.adjunct";
    public const string SameInstant = "operations.same-instant";
    public const string WithinPeriod = "operations.within-period";
    public const string Session = "operations.session";
    public const string NotPerformed = "operations.not-performed";

    // Index operation.
    public const string IndexCompleted = "index.1-completed";
    public const string IndexSpineOperation = "index.2-spine-operation";
    public const string IndexInTheatre = "index.3-in-theatre";
    public const string IndexOrthopaedics = "index.4-orthopaedics";
    public const string IndexAge = "index.5-age";
    public const string IndexNotAReturn = "index.6-not-a-return";
    public const string IndexStudyPeriod = "index.7-study-period";

    // Candidate returns and the window.
    public const string CandidateStatus = "window.candidate-status";
    public const string CandidateAfterIndex = "window.after-index-end";
    public const string WindowDays = "window.days";
    public const string SameAdmission = "window.same-admission";

    // Verdict on a candidate return, in order.
    public const string VerdictInTheatre = "verdict.1-in-theatre";
    public const string VerdictOrthopaedics = "verdict.2-orthopaedics";
    public const string VerdictNotPlanned = "verdict.3-not-planned";
    public const string VerdictRelated = "verdict.4-related-condition";
    public const string VerdictCounted = "verdict.counted";

    // Setting.
    public const string SettingOwnLocation = "setting.1-own-location";
    public const string SettingEncounterLocation = "setting.2-encounter-location";
    public const string SettingCodes = "setting.3-codes";

    // Department.
    public const string DepartmentPerformer = "department.1-performer";
    public const string DepartmentServiceType = "department.2-service-type";
    public const string DepartmentServiceProvider = "department.3-service-provider";

    // Planned.
    public const string PlannedAuthoredBeforeIndex = "planned.authored-before-index";
    public const string PlannedIntentPlan = "planned.intent-plan";
    public const string PlannedCarePlan = "planned.care-plan";
    public const string PlannedStagedCode = "planned.staged-code";

    // Unrelated condition.
    public const string UnrelatedAllReasons = "unrelated.all-reasons";
    public const string UnrelatedPresumedRelated = "unrelated.presumed-related";

    // Cohort group and outcome.
    public const string CohortOrder = "cohort.order";
    public const string OutcomeAsOf = "outcome.as-of";
#pragma warning restore CS1591
}
