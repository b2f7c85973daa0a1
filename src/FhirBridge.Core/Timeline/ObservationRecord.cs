namespace FhirBridge.Timeline;

/// <summary>
/// What the registry reads of an Observation: its code, time and quantity. The rules never read Observations; the
/// registry copies those whose LOINC code is a mapped risk factor (registry model, "Risk factors"). Notes,
/// interpretations, performers and displays are never read.
/// </summary>
public sealed record ObservationRecord : ITimelineRecord
{
    /// <summary>The version this record was read from.</summary>
    public required SourceRef Ref { get; init; }

    /// <summary>The patient in <c>subject</c>.</summary>
    public required ResourceKey? Patient { get; init; }

    /// <summary><c>status</c> (FHIR ObservationStatus code).</summary>
    public required string Status { get; init; }

    /// <summary><c>code</c>.</summary>
    public required CodedConcept Code { get; init; }

    /// <summary><c>effectiveDateTime</c>, <c>effectiveInstant</c> or <c>effectivePeriod.start</c>.</summary>
    public ClinicalTime? Effective { get; init; }

    /// <summary><c>valueQuantity</c>, when it has a value.</summary>
    public QuantityValue? Value { get; init; }

    /// <summary>
    /// True when the result stands: final, amended, corrected or preliminary (a preliminary value is copied and
    /// updated when the source finalises it); never registered, cancelled or withdrawn (<c>entered-in-error</c>).
    /// </summary>
    public bool Stands => Status is "final" or "amended" or "corrected" or "preliminary";
}

/// <summary>A quantity as the source wrote it: the value and its unit (UCUM system and code when given).</summary>
public sealed record QuantityValue(decimal Value, string? Unit, string? System, string? Code);
