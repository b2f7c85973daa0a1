namespace FhirBridge.Detection;

/// <summary>A subject's outcome as of a time (spec, "Outcome of a subject, as of a time").</summary>
public static class Outcome
{
    /// <summary>At least one candidate return counted.</summary>
    public const string UnplannedReturn = "unplanned-return";

    /// <summary>None counted, and the window has closed.</summary>
    public const string NoReturn = "no-return";

    /// <summary>None counted yet, and the window is still open as of the time asked.</summary>
    public const string FollowUpOpen = "follow-up-open";
}
