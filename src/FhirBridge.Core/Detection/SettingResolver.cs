using FhirBridge.Mapping;
using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>Decides whether an operation took place in theatre (spec, "Setting (theatre or ward)"): the first rule that applies wins.</summary>
internal static class SettingResolver
{
    // SNOMED CT 387713003 |Surgical procedure|: a Procedure.category that says "operation" (setting rule 3).
    private const string SurgicalProcedure = "387713003";

    public static Finding InTheatre(Operation operation, RuleScope scope)
    {
        // setting.1-own-location: any Procedure's own location; theatre wins over ward.
        var located = operation.Procedures
            .Select(p => (Procedure: p, Location: scope.Location(p.Location, p.Ref, Clause.SettingOwnLocation)))
            .Where(x => x.Location is not null)
            .ToList();
        var theatre = located.FirstOrDefault(x => x.Location!.Types.Any(t => t.Has(Category.Theatre)));
        if (theatre.Location is not null)
        {
            return new Finding(true, Clause.SettingOwnLocation, false, [theatre.Location.Ref.Key.ToString()], TypeCodes(theatre.Location), "the procedure's location is a theatre");
        }

        var ward = located.FirstOrDefault(x => x.Location!.Types.Any(t => t.Has(Category.Ward)));
        if (ward.Location is not null)
        {
            return new Finding(false, Clause.SettingOwnLocation, false, [ward.Location.Ref.Key.ToString()], TypeCodes(ward.Location), "the procedure's location is a ward");
        }

        // setting.2-encounter-location: the encounter's location at the principal's start can confirm theatre,
        // never make it a ward one (ward locations usually span the whole stay).
        var principal = operation.Principal;
        if (scope.Encounter(principal.Encounter, principal.Ref, Clause.SettingEncounterLocation) is { } encounter)
        {
            var at = operation.Start;
            foreach (var entry in encounter.Locations)
            {
                var covers = (entry.Start is null || scope.InstantOf(entry.Start) <= at) && (entry.End is null || at <= scope.EndInstantOf(entry.End));
                if (covers && scope.Location(entry.Location, encounter.Ref, Clause.SettingEncounterLocation) is { } location
                    && location.Types.Any(t => t.Has(Category.Theatre)))
                {
                    return new Finding(true, Clause.SettingEncounterLocation, false, [encounter.Ref.Key.ToString(), location.Ref.Key.ToString()], TypeCodes(location),
                        "the encounter lists a theatre location for the procedure's start");
                }
            }
        }

        // setting.3-codes: a bedside code puts it on the ward; a spine-surgery or theatre-procedure code, or the
        // Surgical procedure category, puts it in theatre, as an assumption the log records.
        var bedside = operation.Procedures.FirstOrDefault(p => p.Code.Has(Category.BedsideProcedure));
        if (bedside is not null)
        {
            return new Finding(false, Clause.SettingCodes, false, [bedside.Ref.Key.ToString()], [.. Codes(bedside.Code)], "a bedside-procedure code puts it on the ward");
        }

        var surgical = operation.Procedures.FirstOrDefault(p =>
            p.Code.Has(Category.SpineSurgery) || p.Code.Has(Category.TheatreProcedure)
            || p.Category.Codings.Any(c => c.Code.Trim() == SurgicalProcedure && c.System?.Trim() == CodeSystems.Snomed));
        if (surgical is not null)
        {
            return new Finding(true, Clause.SettingCodes, true, [surgical.Ref.Key.ToString()], [.. Codes(surgical.Code), .. Codes(surgical.Category)],
                "no location recorded; theatre assumed from the procedure's code or category");
        }

        return new Finding(false, Clause.SettingCodes, false, [], [.. operation.Procedures.SelectMany(p => Codes(p.Code))],
            "no location and no code that is evidence of theatre");
    }

    private static string[] TypeCodes(LocationRecord location) => [.. location.Types.SelectMany(Codes)];

    private static IEnumerable<string> Codes(CodedConcept concept) => concept.Codings.Select(c => c.ToString());
}
