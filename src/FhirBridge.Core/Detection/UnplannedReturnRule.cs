using FhirBridge.MappingLog;
using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>
/// The DETECT stage for NCT05995327: unplanned return to theatre within <see cref="StudyDefinition.WindowDays"/> days
/// of an eligible spine operation (shared/spec/unplanned-return-to-theatre.md; docs/rule.md for users).
/// A pure function of one patient's mapped timeline, the study definition, the source's zone and an as-of time.
/// </summary>
public sealed class UnplannedReturnRule
{
    private static readonly HashSet<string> CandidateStatuses = ["completed", "stopped"];

    /// <summary>Creates the rule for a study.</summary>
    /// <exception cref="ArgumentException">The study definition is invalid (the message names the setting).</exception>
    public UnplannedReturnRule(StudyDefinition study)
    {
        if (study.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(study));
        }

        Study = study;
    }

    /// <summary>The study this rule judges for.</summary>
    public StudyDefinition Study { get; }

    /// <summary>Judges one patient as of a time.</summary>
    /// <param name="timeline">The patient's mapped timeline (see <c>Mapping.TimelineMapper</c>).</param>
    /// <param name="asOf">Everything is judged as of this time: Procedures that start after it are ignored.</param>
    /// <param name="sourceZone">The source's configured zone, or null to use each index operation's own offset.</param>
    public PatientDetection Evaluate(PatientTimeline timeline, OffsetDateTime asOf, DateTimeZone? sourceZone)
    {
        var log = new List<MappingLogEntry>();
        var scope = new RuleScope(timeline, Study, sourceZone, asOf, log);
        var (happened, judgeAgainAt) = ProceduresThatHappened(scope);
        var operations = OperationGrouper.Group(happened, scope);

        var subjects = new List<(Subject Draft, List<CandidateVerdict> Candidates)>();
        var refused = new List<RefusedIndex>();
        foreach (var operation in operations)
        {
            // index.6-not-a-return: a candidate return never becomes an index operation, whatever its verdict.
            var isCandidate = false;
            foreach (var (subject, candidates) in subjects)
            {
                if (IsCandidateReturn(operation, subject, scope, out var days))
                {
                    isCandidate = true;
                    candidates.Add(Judge(operation, subject, days, scope));
                }
            }

            if (!isCandidate && operation.HasCategory(Study.IndexCategory))
            {
                switch (ConsiderAsIndex(operation, scope))
                {
                    case Subject subject:
                        subjects.Add((subject, []));
                        break;
                    case RefusedIndex refusal:
                        refused.Add(refusal);
                        break;
                }
            }
        }

        var result = subjects.Select(s => s.Draft with { Candidates = s.Candidates, Outcome = OutcomeOf(s.Draft, s.Candidates, asOf) }).ToList();
        foreach (var subject in result)
        {
            log.Add(new MappingLogEntry(subject.Index.Principal.Ref.ToString(), Decision.Index, Clause.OutcomeAsOf, subject.Outcome)
            {
                Index = subject.Index.Key.ToString(),
                Evidence = [.. subject.Index.Procedures.Select(p => p.Ref.Key.ToString())],
                Detail = $"registry subject in group {subject.Cohort}; outcome {subject.Outcome} as of {asOf.ToInstant()}",
            });
        }

        return new PatientDetection(result, refused, log) { JudgeAgainAt = judgeAgainAt };
    }

    // Data handling: withdrawn data is absent, not-done procedures never happened, and nothing after the as-of time
    // exists yet. Also when the earliest Procedure left out as after the as-of time starts: the result holds until then.
    private static (List<ProcedureRecord> Kept, Instant? JudgeAgainAt) ProceduresThatHappened(RuleScope scope)
    {
        var asOf = scope.AsOf.ToInstant();
        var kept = new List<ProcedureRecord>();
        Instant? judgeAgainAt = null;
        foreach (var procedure in scope.Timeline.Procedures)
        {
            var (reason, clause) = procedure switch
            {
                { IsEnteredInError: true } => ("entered-in-error", Clause.Withdrawn),
                { Status: "not-done" } => ("not-done", Clause.NotPerformed),
                { Start: null } => ("no-performed-time", Clause.Time),
                _ when scope.InstantOf(procedure.Start!) > asOf => ("after-as-of", Clause.AsOf),
                _ => (null, null),
            };
            if (reason is null)
            {
                kept.Add(procedure);
            }
            else
            {
                scope.Log.Add(new MappingLogEntry(procedure.Ref.ToString(), Decision.Excluded, clause!, reason));
                if (clause == Clause.AsOf && (judgeAgainAt is null || scope.InstantOf(procedure.Start!) < judgeAgainAt))
                {
                    judgeAgainAt = scope.InstantOf(procedure.Start!);
                }
            }
        }

        return (kept, judgeAgainAt);
    }

    private object? ConsiderAsIndex(Operation operation, RuleScope scope)
    {
        var principal = operation.Principal;
        var source = principal.Ref.ToString();
        var calendar = LocalCalendar.ForIndex(operation.StartAsWritten, scope.SourceZone);
        var indexDate = calendar.DateOf(operation.StartAsWritten);

        // index.1-completed (not a reportable exclusion: an operation that did not complete is no index).
        if (principal.Status != "completed")
        {
            scope.Log.Add(new MappingLogEntry(source, Decision.Excluded, Clause.IndexCompleted, "not-completed") { Detail = $"principal status is {principal.Status}" });
            return null;
        }

        // index.7-study-period (outside the study's scope, not a reportable exclusion).
        if ((Study.StudyPeriodStart is { } first && indexDate < first) || (Study.StudyPeriodEnd is { } last && indexDate > last))
        {
            scope.Log.Add(new MappingLogEntry(source, Decision.Excluded, Clause.IndexStudyPeriod, "outside-study-period"));
            return null;
        }

        // index.3-in-theatre, index.4-orthopaedics, index.5-age: the first failing one is reported.
        var setting = SettingResolver.InTheatre(operation, scope);
        LogAssumption(setting, source, null, scope);
        if (!setting.Holds)
        {
            return Refuse(operation, Reason.NotInTheatre, Clause.IndexInTheatre, setting, scope);
        }

        var department = DepartmentResolver.IsOrthopaedics(operation, scope);
        if (!department.Holds)
        {
            return Refuse(operation, Reason.OtherDepartment, Clause.IndexOrthopaedics, department, scope);
        }

        var age = AgeFinding(indexDate, principal.Ref, scope);
        if (!age.Holds)
        {
            return Refuse(operation, Reason.AgeOutOfRange, Clause.IndexAge, age, scope);
        }

        var (cohort, evidence, cohortSource) = CohortClassifier.Classify(operation, scope);
        scope.Log.Add(new MappingLogEntry(cohortSource ?? source, evidence is null ? Decision.Unmapped : Decision.Mapped, Clause.CohortOrder, cohort)
        {
            Index = operation.Key.ToString(),
            Codes = evidence is null ? [] : [evidence.Source.ToString()],
            Prefix = evidence is { IsPrefixMatch: true } ? evidence.MatchedCode : null,
            Detail = evidence is null ? "no diagnosis maps to a cohort group" : $"first diagnosis mapping to a group, via {evidence.ConceptMap}",
        });

        return new Subject
        {
            Patient = scope.Timeline.Patient,
            Index = operation,
            Calendar = calendar,
            Cohort = cohort,
            CohortEvidence = evidence,
            Candidates = [],
            Outcome = Outcome.FollowUpOpen,
        };
    }

    private Finding AgeFinding(LocalDate indexDate, SourceRef from, RuleScope scope)
    {
        var patient = scope.Timeline.PatientResource;
        if (patient is null)
        {
            scope.Log.Add(new MappingLogEntry(from.ToString(), Decision.Missing, Clause.IndexAge) { Evidence = [scope.Timeline.Patient.ToString()], Detail = "the Patient is not in the input; age unknown" });
            return new Finding(false, Clause.IndexAge, false, [scope.Timeline.Patient.ToString()], [], "age unknown: the Patient is missing");
        }

        if (patient.BirthDate is not { } birth)
        {
            return new Finding(false, Clause.IndexAge, false, [patient.Ref.Key.ToString()], [], "age unknown: no birth date");
        }

        // A partial birth date is placed mid-period (1 July, or the 15th), the usual imputation; the log says so.
        var birthDate = birth.Precision switch
        {
            TimePrecision.Year => new LocalDate(birth.Date.Year, 7, 1),
            TimePrecision.Month => new LocalDate(birth.Date.Year, birth.Date.Month, 15),
            _ => birth.LocalDateIn(null),
        };
        if (birth.Precision is TimePrecision.Year or TimePrecision.Month)
        {
            scope.Log.Add(new MappingLogEntry(patient.Ref.ToString(), Decision.Assumed, Clause.IndexAge) { Detail = $"partial birth date ({birth.Precision}) placed mid-period to compute age" });
        }

        var age = Period.Between(birthDate, indexDate, PeriodUnits.Years).Years;
        var holds = age >= Study.MinAge && age <= Study.MaxAge;
        return new Finding(holds, Clause.IndexAge, false, [patient.Ref.Key.ToString()], [],
            holds ? $"age within {Study.MinAge}-{Study.MaxAge} on the index date" : $"age outside {Study.MinAge}-{Study.MaxAge} on the index date");
    }

    private static RefusedIndex Refuse(Operation operation, string reason, string clause, Finding finding, RuleScope scope)
    {
        scope.Log.Add(new MappingLogEntry(operation.Principal.Ref.ToString(), Decision.Excluded, clause, reason)
        {
            Evidence = finding.Evidence,
            Codes = finding.Codes,
            Detail = $"refused as index operation ({finding.Clause}): {finding.Detail}",
        });
        return new RefusedIndex(operation, reason);
    }

    private bool IsCandidateReturn(Operation operation, Subject subject, RuleScope scope, out int days)
    {
        days = LocalCalendar.DaysBetween(subject.Calendar.DateOf(subject.Index.StartAsWritten), subject.Calendar.DateOf(operation.StartAsWritten));

        // A date-only start is 00:00 of that date in the index's calendar (data.time).
        var start = subject.Calendar.Zone is { } zone ? operation.StartAsWritten.ToInstant(zone) : operation.Start;
        return CandidateStatuses.Contains(operation.Principal.Status)           // window.candidate-status: an aborted return still went back
            && start > subject.Index.End                                         // window.after-index-end
            && days <= Study.WindowDays                                          // window.days: day 0 to day WindowDays inside
            && (!Study.SameAdmissionOnly                                         // window.same-admission
                || (scope.EncounterKey(operation.Principal.Encounter) is { } e && e == scope.EncounterKey(subject.Index.Principal.Encounter)));
    }

    private static CandidateVerdict Judge(Operation candidate, Subject subject, int days, RuleScope scope)
    {
        var source = candidate.Principal.Ref.ToString();
        var index = subject.Index.Key.ToString();

        // The checks run in order; the first that fails gives the single reason reported (spec, "Verdict on a candidate return").
        var setting = SettingResolver.InTheatre(candidate, scope);
        LogAssumption(setting, source, index, scope);
        if (!setting.Holds)
        {
            return Exclude(Reason.NotInTheatre, Clause.VerdictInTheatre, setting);
        }

        var department = DepartmentResolver.IsOrthopaedics(candidate, scope);
        if (!department.Holds)
        {
            return Exclude(Reason.OtherDepartment, Clause.VerdictOrthopaedics, department);
        }

        var planned = PlannedCheck.IsPlanned(candidate, subject, scope);
        if (planned.Holds)
        {
            return Exclude(Reason.Planned, Clause.VerdictNotPlanned, planned);
        }

        var unrelated = UnrelatedConditionCheck.IsUnrelated(candidate, scope);
        LogAssumption(unrelated, source, index, scope);
        if (unrelated.Holds)
        {
            return Exclude(Reason.UnrelatedCondition, Clause.VerdictRelated, unrelated);
        }

        scope.Log.Add(new MappingLogEntry(source, Decision.Counted, Clause.VerdictCounted, "unplanned-return")
        {
            Index = index,
            Evidence = [.. setting.Evidence, .. department.Evidence, .. unrelated.Evidence],
            Codes = [.. candidate.Procedures.SelectMany(p => p.Code.Codings.Select(c => c.ToString()))],
            Detail = $"day {days}: in theatre ({setting.Clause}), orthopaedics ({department.Clause}), not planned, related ({unrelated.Clause})",
        });
        return new CandidateVerdict(candidate, days, null);

        CandidateVerdict Exclude(string reason, string clause, Finding finding)
        {
            scope.Log.Add(new MappingLogEntry(source, Decision.Excluded, clause, reason)
            {
                Index = index,
                Evidence = finding.Evidence,
                Codes = finding.Codes,
                Detail = $"day {days}: {finding.Detail} ({finding.Clause})",
            });
            return new CandidateVerdict(candidate, days, reason);
        }
    }

    private static void LogAssumption(Finding finding, string source, string? index, RuleScope scope)
    {
        if (finding.Assumed)
        {
            scope.Log.Add(new MappingLogEntry(source, Decision.Assumed, finding.Clause)
            {
                Index = index,
                Evidence = finding.Evidence,
                Codes = finding.Codes,
                Detail = finding.Detail,
            });
        }
    }

    // outcome.as-of
    private string OutcomeOf(Subject subject, List<CandidateVerdict> candidates, OffsetDateTime asOf)
    {
        if (candidates.Any(c => c.Counted))
        {
            return Outcome.UnplannedReturn;
        }

        var elapsed = LocalCalendar.DaysBetween(subject.Calendar.DateOf(subject.Index.StartAsWritten), subject.Calendar.DateOf(asOf));
        return elapsed <= Study.WindowDays ? Outcome.FollowUpOpen : Outcome.NoReturn;
    }
}
