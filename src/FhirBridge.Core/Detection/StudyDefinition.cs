using FhirBridge.Mapping;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>
/// A study, as data: which operations are index operations, the age range, the follow-up window, the arms.
/// The defaults are NCT05995327 as the spec reads it; the later studies (shared/spec/next-studies.md) differ in these
/// values, not in code.
/// </summary>
public sealed record StudyDefinition
{
    /// <summary>The study's ClinicalTrials.gov number. Default <c>NCT05995327</c>.</summary>
    public string Id { get; init; } = "NCT05995327";

    /// <summary>The procedure category an operation must contain to be an index operation. Default <c>spine-surgery</c>.</summary>
    public string IndexCategory { get; init; } = Category.SpineSurgery;

    /// <summary>The follow-up window in calendar days after the index date: day 0 to day <c>WindowDays</c> are inside. Default 30 (study inclusion criterion 3).</summary>
    public int WindowDays { get; init; } = 30;

    /// <summary>The youngest eligible age in completed years on the index date. Default 18 (study record: ages 18 to 80).</summary>
    public int MinAge { get; init; } = 18;

    /// <summary>The oldest eligible age in completed years on the index date, inclusive. Default 80.</summary>
    public int MaxAge { get; init; } = 80;

    /// <summary>When true, only operations in the index operation's Encounter are candidate returns. Default false.</summary>
    public bool SameAdmissionOnly { get; init; }

    /// <summary>Procedures of one Encounter starting within this many hours of an operation's first Procedure (which records no end) are one operation. Default 3.</summary>
    public double OperationSessionHours { get; init; } = 3;

    /// <summary>The first local date an index operation may start on, inclusive; none by default.</summary>
    public LocalDate? StudyPeriodStart { get; init; }

    /// <summary>The last local date an index operation may start on, inclusive; none by default.</summary>
    public LocalDate? StudyPeriodEnd { get; init; }

    /// <summary>The arms, in the order their categories are tried for each diagnosis.</summary>
    public IReadOnlyList<CohortGroup> CohortGroups { get; init; } =
    [
        new("degenerative", Category.CohortDegenerative),
        new("deformity", Category.CohortDeformity),
        new("tumor", Category.CohortTumor),
        new("fracture", Category.CohortFracture),
    ];

    /// <summary>Checks the settings and names the first bad one.</summary>
    /// <returns>Null when valid, else a message naming the setting.</returns>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            return "Study:Id must not be empty";
        }

        if (WindowDays < 0)
        {
            return $"Study:WindowDays must be 0 or more (was {WindowDays})";
        }

        if (MinAge < 0 || MaxAge < MinAge)
        {
            return $"Study:MinAge and Study:MaxAge must satisfy 0 <= MinAge <= MaxAge (were {MinAge} and {MaxAge})";
        }

        if (OperationSessionHours < 0 || double.IsNaN(OperationSessionHours))
        {
            return $"Study:OperationSessionHours must be 0 or more (was {OperationSessionHours})";
        }

        if (StudyPeriodStart is { } s && StudyPeriodEnd is { } e && e < s)
        {
            return $"Study:StudyPeriodEnd ({e:yyyy-MM-dd}) is before Study:StudyPeriodStart ({s:yyyy-MM-dd})";
        }

        return null;
    }
}
