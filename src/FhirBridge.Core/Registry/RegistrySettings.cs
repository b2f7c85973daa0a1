namespace FhirBridge.Registry;

/// <summary>What the registry profile lets leave the hospital, where it is the study's choice.</summary>
public sealed record RegistrySettings
{
    /// <summary>Send the Patient's birth year (never more of the date). Default true.</summary>
    public bool BirthYear { get; init; } = true;

    /// <summary>Risk-factor Observations are copied from this many days before the index date. Default 30.</summary>
    public int RiskFactorDaysBefore { get; init; } = 30;

    /// <summary>... to this many days after it, inclusive. Default 30.</summary>
    public int RiskFactorDaysAfter { get; init; } = 30;

    /// <summary>Checks the settings and names the first bad one; null when valid.</summary>
    public string? Validate() =>
        RiskFactorDaysBefore < 0 ? $"Registry:RiskFactorDaysBefore must be 0 or more (was {RiskFactorDaysBefore})"
        : RiskFactorDaysAfter < 0 ? $"Registry:RiskFactorDaysAfter must be 0 or more (was {RiskFactorDaysAfter})"
        : null;
}
