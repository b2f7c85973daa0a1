using FhirBridge.Detection;
using FhirBridge.MappingLog;
using FhirBridge.Timeline;

namespace FhirBridge.Tests.Builders;

/// <summary>One evaluation of the rule, with lookups and assertions by Procedure id, Decision and Clause.</summary>
public sealed class RuleRun(PatientTimeline timeline, IReadOnlyList<MappingLogEntry> mappingLog, PatientDetection detection)
{
    /// <summary>The mapped timeline the rule judged.</summary>
    public PatientTimeline Timeline { get; } = timeline;

    /// <summary>The MAP stage's log (translations).</summary>
    public IReadOnlyList<MappingLogEntry> MappingLog { get; } = mappingLog;

    /// <summary>What the rule returned.</summary>
    public PatientDetection Detection { get; } = detection;

    /// <summary>The registry subjects.</summary>
    public IReadOnlyList<Subject> Subjects => Detection.Subjects;

    /// <summary>The refused index operations.</summary>
    public IReadOnlyList<RefusedIndex> Refused => Detection.Refused;

    /// <summary>The only subject (fails when there is not exactly one).</summary>
    public Subject SingleSubject => Assert.Single(Subjects);

    /// <summary>The subject whose index operation's principal Procedure is <paramref name="indexId"/>.</summary>
    public Subject Subject(string indexId)
    {
        var found = Subjects.Where(s => s.Index.Key.Id == indexId).ToList();
        Assert.True(found.Count == 1, $"expected one subject indexed by Procedure/{indexId}; subjects: [{Describe()}]");
        return found[0];
    }

    /// <summary>The verdict on candidate <paramref name="candidateId"/> (principal Procedure) of subject <paramref name="indexId"/>.</summary>
    public CandidateVerdict Candidate(string indexId, string candidateId)
    {
        var found = Subject(indexId).Candidates.Where(c => c.Procedure.Id == candidateId).ToList();
        Assert.True(found.Count == 1, $"expected Procedure/{candidateId} to be a candidate return of Procedure/{indexId}; subjects: [{Describe()}]");
        return found[0];
    }

    /// <summary>Log entries (detection log) with this decision, optionally this clause and this source resource.</summary>
    public IReadOnlyList<MappingLogEntry> Log(string decision, string? clause = null, string? source = null) =>
        [.. Detection.Log.Where(e => e.Decision == decision && (clause is null || e.Rule == clause) && (source is null || IsFrom(e, source)))];

    /// <summary>The single detection log entry with this decision, clause and (optionally) source.</summary>
    public MappingLogEntry SingleLog(string decision, string clause, string? source = null)
    {
        var found = Log(decision, clause, source);
        Assert.True(found.Count == 1, $"expected one log entry {decision} {clause} {source}; log:\n{DescribeLog()}");
        return found[0];
    }

    /// <summary>MAP-stage log entries for <paramref name="source"/> (e.g. <c>Procedure/op1</c>).</summary>
    public IReadOnlyList<MappingLogEntry> MapLog(string source, string? decision = null) =>
        [.. MappingLog.Where(e => IsFrom(e, source) && (decision is null || e.Decision == decision))];

    /// <summary>Asserts one subject indexed by <paramref name="indexId"/>, its outcome and its counted returns.</summary>
    public Subject AssertSubject(string indexId, string outcome, params string[] countedReturns)
    {
        var subject = Subject(indexId);
        Assert.True(outcome == subject.Outcome, $"Procedure/{indexId}: expected outcome {outcome}, was {subject.Outcome}; {Describe()}");
        Assert.Equal(countedReturns.Order(StringComparer.Ordinal), subject.Returns.Select(r => r.Procedure.Id).Order(StringComparer.Ordinal));
        return subject;
    }

    /// <summary>Asserts that candidate <paramref name="candidateId"/> of <paramref name="indexId"/> counted.</summary>
    public CandidateVerdict AssertCounted(string indexId, string candidateId)
    {
        var verdict = Candidate(indexId, candidateId);
        Assert.True(verdict.Counted, $"Procedure/{candidateId}: expected counted, was excluded {verdict.ExclusionReason}");
        return verdict;
    }

    /// <summary>Asserts that candidate <paramref name="candidateId"/> of <paramref name="indexId"/> was excluded for <paramref name="reason"/>.</summary>
    public CandidateVerdict AssertExcluded(string indexId, string candidateId, string reason)
    {
        var verdict = Candidate(indexId, candidateId);
        Assert.True(reason == verdict.ExclusionReason, $"Procedure/{candidateId}: expected excluded {reason}, was {verdict.ExclusionReason ?? "counted"}");
        return verdict;
    }

    /// <summary>Asserts that no operation whose Procedures include <paramref name="procedureId"/> is a candidate return of <paramref name="indexId"/>.</summary>
    public void AssertNotACandidate(string indexId, string procedureId) =>
        Assert.False(
            Subject(indexId).Candidates.Any(c => c.Candidate.Procedures.Any(p => p.Ref.Key.Id == procedureId)),
            $"expected Procedure/{procedureId} not to be a candidate return of Procedure/{indexId}; {Describe()}");

    /// <summary>Asserts that <paramref name="operation"/> holds exactly these Procedures (any order).</summary>
    public static void AssertProcedures(Operation operation, params string[] procedureIds) =>
        Assert.Equal(procedureIds.Order(StringComparer.Ordinal), operation.Procedures.Select(p => p.Ref.Key.Id).Order(StringComparer.Ordinal));

    /// <summary>Asserts that the spine operation named by <paramref name="procedureId"/> was refused as index for <paramref name="reason"/>.</summary>
    public void AssertRefused(string procedureId, string reason)
    {
        Assert.Empty(Subjects);
        var refusal = Assert.Single(Refused);
        Assert.Equal(procedureId, refusal.Procedure.Id);
        Assert.Equal(reason, refusal.Reason);
    }

    /// <summary>Asserts no subject and no refused index operation.</summary>
    public void AssertNoIndex()
    {
        Assert.True(Subjects.Count == 0, $"expected no subject; {Describe()}");
        Assert.Empty(Refused);
    }

    /// <summary>The subjects, for failure messages.</summary>
    public string Describe() => string.Join("; ", Subjects.Select(s =>
        $"{s.Index.Key} [{string.Join(",", s.Index.Procedures.Select(p => p.Ref.Key.Id))}] {s.Cohort} {s.Outcome} candidates: "
        + string.Join(",", s.Candidates.Select(c => $"{c.Procedure.Id} day {c.DaysAfterIndex} {c.ExclusionReason ?? "counted"}"))))
        + (Refused.Count == 0 ? string.Empty : "; refused: " + string.Join(",", Refused.Select(r => $"{r.Procedure} {r.Reason}")));

    /// <summary>The detection log, for failure messages.</summary>
    public string DescribeLog() => string.Join("\n", Detection.Log.Select(e => $"{e.Source} {e.Decision} {e.Rule} {e.Reason} {e.Detail}"));

    private static bool IsFrom(MappingLogEntry entry, string source) =>
        entry.Source == source || entry.Source.StartsWith(source + "/_history/", StringComparison.Ordinal);
}
