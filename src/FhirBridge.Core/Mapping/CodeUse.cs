namespace FhirBridge.Mapping;

/// <summary>Where a code was found: ICD-9-CM procedure and diagnosis codes put their dot in different places.</summary>
public enum CodeUse
{
    /// <summary>A Procedure's code: ICD-9-CM Volume 3, dot after the second character.</summary>
    Procedure,

    /// <summary>A diagnosis or reason: ICD-10 dot after the third character (ICD-9-CM diagnoses too).</summary>
    Diagnosis,

    /// <summary>Anything else (location and organization types, service types): matched exactly.</summary>
    Other,
}
