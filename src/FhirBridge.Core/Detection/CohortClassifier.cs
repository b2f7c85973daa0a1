using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>
/// Gives an index operation its arm (spec, "Cohort group"; the study's four patient groups): the first diagnosis
/// that maps to an arm, read from the principal Procedure, then the other Procedures, then the index Encounter's
/// diagnoses by rank.
/// </summary>
internal static class CohortClassifier
{
    public static (string Group, CategoryMatch? Evidence, string? Source) Classify(Operation index, RuleScope scope)
    {
        var categories = scope.Study.CohortGroups.Select(g => g.Category).ToHashSet();
        foreach (var (concept, source) in Diagnoses(index, scope))
        {
            if (concept.FirstOf(categories) is { } match)
            {
                var group = scope.Study.CohortGroups.First(g => g.Category == match.Category);
                return (group.Name, match, source);
            }
        }

        return (CohortGroup.Unclassified, null, null);
    }

    private static IEnumerable<(CodedConcept Concept, string Source)> Diagnoses(Operation index, RuleScope scope)
    {
        // 1 and 2: the principal Procedure first, then the others; reasonCode then reasonReference, in listed order.
        foreach (var procedure in index.Procedures)
        {
            foreach (var reason in procedure.ReasonCodes)
            {
                yield return (reason, procedure.Ref.ToString());
            }

            foreach (var reference in procedure.ReasonReferences.Where(r => r.Type == "Condition"))
            {
                if (scope.Condition(reference, procedure.Ref, Clause.CohortOrder) is { } condition)
                {
                    yield return (condition.Code, condition.Ref.ToString());
                }
            }
        }

        // 3: the index Encounter's diagnoses by rank ascending, unranked last in listed order (OrderBy is stable).
        if (scope.Encounter(index.Principal.Encounter, index.Principal.Ref, Clause.CohortOrder) is { } encounter)
        {
            foreach (var diagnosis in encounter.Diagnoses.OrderBy(d => d.Rank ?? int.MaxValue))
            {
                if (scope.Condition(diagnosis.Condition, encounter.Ref, Clause.CohortOrder) is { } condition)
                {
                    yield return (condition.Code, condition.Ref.ToString());
                }
            }
        }
    }
}
