namespace FhirBridge.Detection;

/// <summary>The exclusion reason codes of the report (spec, "Verdict on a candidate return" and "Index operation").</summary>
public static class Reason
{
    /// <summary>Not in theatre (study exclusion criterion 2: procedures done on the ward).</summary>
    public const string NotInTheatre = "not-in-theatre";

    /// <summary>Not performed by orthopaedics (study inclusion criterion 2).</summary>
    public const string OtherDepartment = "other-department";

    /// <summary>A staged or scheduled procedure: not unplanned.</summary>
    public const string Planned = "planned";

    /// <summary>Re-operation for a disease unrelated to the initial surgery (study exclusion criterion 1).</summary>
    public const string UnrelatedCondition = "unrelated-condition";

    /// <summary>An index operation's patient outside the age range on the index date (study: ages 18 to 80).</summary>
    public const string AgeOutOfRange = "age-out-of-range";
}
