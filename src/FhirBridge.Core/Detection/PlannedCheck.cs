using FhirBridge.Mapping;

namespace FhirBridge.Detection;

/// <summary>Decides whether a candidate return was planned (spec, "Planned"): a staged or scheduled procedure is not unplanned.</summary>
internal static class PlannedCheck
{
    public static Finding IsPlanned(Operation candidate, Subject index, RuleScope scope)
    {
        foreach (var procedure in candidate.Procedures)
        {
            foreach (var basis in procedure.BasedOn)
            {
                if (basis.Type == "CarePlan")
                {
                    // planned.care-plan
                    return new Finding(true, Clause.PlannedCarePlan, false, [basis.ToString()], [], "based on a CarePlan");
                }

                if (basis.Type != "ServiceRequest" || scope.ServiceRequest(basis, procedure.Ref, Clause.PlannedAuthoredBeforeIndex) is not { } request)
                {
                    continue;
                }

                // planned.intent-plan
                if (request.Intent == "plan")
                {
                    return new Finding(true, Clause.PlannedIntentPlan, false, [basis.ToString()], [], "based on a ServiceRequest whose intent is plan");
                }

                // planned.authored-before-index: ordered at or before the index operation started.
                // A date-only authoredOn is 00:00 of that date in the index's calendar (data.time).
                if (request.AuthoredOn is { } authored && authored.ToInstant(index.Calendar.Zone ?? scope.OrderingZone) <= index.Index.Start)
                {
                    return new Finding(true, Clause.PlannedAuthoredBeforeIndex, false, [basis.ToString()], [],
                        "based on a ServiceRequest authored at or before the index operation's start");
                }
            }
        }

        // planned.staged-code
        var staged = candidate.Procedures.FirstOrDefault(p => p.Code.Has(Category.StagedProcedure));
        if (staged is not null)
        {
            return new Finding(true, Clause.PlannedStagedCode, false, [staged.Ref.Key.ToString()], [.. staged.Code.Codings.Select(c => c.ToString())],
                "its code maps to staged-procedure");
        }

        return new Finding(false, Clause.VerdictNotPlanned, false, [], [], "no plan, prior order or staged code");
    }
}
