using FhirBridge.Mapping;
using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>
/// Decides whether a candidate return was for a condition unrelated to the index operation (spec, "Unrelated
/// condition"; study exclusion criterion 1). Only when it has a reason and every reason maps to unrelated-condition:
/// infections, haematomas, neurological deficits, CSF leaks and implant problems are the leading causes of returns
/// and must never be excluded for lack of a mapping, so anything unknown is presumed related.
/// </summary>
internal static class UnrelatedConditionCheck
{
    public static Finding IsUnrelated(Operation candidate, RuleScope scope)
    {
        // Each reason is a concept, or null when it cannot be read (a missing Condition, a non-Condition reference).
        var reasons = new List<(string Evidence, CodedConcept? Concept)>();
        foreach (var procedure in candidate.Procedures)
        {
            reasons.AddRange(procedure.ReasonCodes.Select(r => (procedure.Ref.Key.ToString(), (CodedConcept?)r)));
            foreach (var reference in procedure.ReasonReferences)
            {
                if (reference.Type != "Condition")
                {
                    reasons.Add((reference.ToString(), null));
                    continue;
                }

                if (scope.Timeline.Conditions.TryGetValue(reference, out var known) && known.IsEnteredInError)
                {
                    continue; // a withdrawn Condition is no reason at all (data.withdrawn)
                }

                reasons.Add((reference.ToString(), scope.Condition(reference, procedure.Ref, Clause.UnrelatedAllReasons)?.Code));
            }
        }

        var codes = reasons.Where(r => r.Concept is not null).SelectMany(r => r.Concept!.Codings.Select(c => c.ToString())).ToList();
        var evidence = reasons.Select(r => r.Evidence).Distinct().ToList();
        if (reasons.Count == 0)
        {
            return new Finding(false, Clause.UnrelatedPresumedRelated, true, [], [], "no reason recorded: presumed related");
        }

        if (reasons.All(r => r.Concept is { } c && IsUnrelatedReason(c)))
        {
            return new Finding(true, Clause.UnrelatedAllReasons, false, evidence, codes, "every reason maps to unrelated-condition");
        }

        var unknown = reasons.Any(r => r.Concept is null || r.Concept.Matches.Count == 0);
        return unknown
            ? new Finding(false, Clause.UnrelatedPresumedRelated, true, evidence, codes, "a reason maps to nothing or cannot be read: presumed related")
            : new Finding(false, Clause.VerdictRelated, false, evidence, codes, "a reason maps to a related category");
    }

    // A concept that also maps to procedure-complication is related, whatever else it maps to.
    private static bool IsUnrelatedReason(CodedConcept concept) =>
        concept.Has(Category.UnrelatedCondition) && !concept.Has(Category.ProcedureComplication);
}
