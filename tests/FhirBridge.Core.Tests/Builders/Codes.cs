namespace FhirBridge.Tests.Builders;

/// <summary>The code systems and codes the builders and tests use (spec, "Mappings": the default table).</summary>
public static class Codes
{
    public const string Icd9Cm = "http://hl7.org/fhir/sid/icd-9-cm";
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>SNOMED CT 225738002 Operating room (environment): maps to theatre.</summary>
    public const string OperatingRoom = "225738002";

    /// <summary>SNOMED CT 225746001 Ward (environment): maps to ward.</summary>
    public const string Ward = "225746001";

    /// <summary>SNOMED CT 394801008 Trauma and orthopedics: maps to orthopedics.</summary>
    public const string TraumaAndOrthopedics = "394801008";

    /// <summary>SNOMED CT 394610002 Neurosurgery: maps to nothing (another department).</summary>
    public const string Neurosurgery = "394610002";

    /// <summary>SNOMED CT 387713003 Surgical procedure (a Procedure.category).</summary>
    public const string SurgicalProcedure = "387713003";

    /// <summary>ICD-9-CM 81.07 lumbar fusion, lateral transverse process technique: spine-surgery.</summary>
    public const string LumbarFusion = "81.07";

    /// <summary>ICD-9-CM 80.51 excision of intervertebral disc: spine-surgery.</summary>
    public const string Discectomy = "80.51";

    /// <summary>ICD-9-CM 84.51 insertion of interbody spinal fusion device: adjunct-procedure.</summary>
    public const string InterbodyDevice = "84.51";

    /// <summary>ICD-9-CM 86.22 excisional debridement: theatre-procedure.</summary>
    public const string ExcisionalDebridement = "86.22";

    /// <summary>ICD-9-CM 86.28 non-excisional debridement: bedside-procedure.</summary>
    public const string BedsideDebridement = "86.28";

    /// <summary>ICD-9-CM 99.99 (other miscellaneous procedures): maps to no category.</summary>
    public const string UnmappedProcedure = "99.99";

    /// <summary>ICD-10 T81.4 infection following a procedure: procedure-complication.</summary>
    public const string WoundInfection = "T81.4";

    /// <summary>ICD-10 K35.8 acute appendicitis, other: unrelated-condition.</summary>
    public const string Appendicitis = "K35.8";

    /// <summary>ICD-10 M51.1 lumbar disc disorder with radiculopathy: cohort-degenerative by prefix M51.</summary>
    public const string LumbarDiscDisorder = "M51.1";

    /// <summary>ICD-10 R52 pain, not elsewhere classified: maps to no category.</summary>
    public const string UnmappedDiagnosis = "R52";
}
