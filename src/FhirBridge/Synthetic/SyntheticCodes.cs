namespace FhirBridge.Cli.Synthetic;

/// <summary>A code with its display, before any hospital-style formatting is applied.</summary>
internal sealed record SyntheticCode(string Code, string Display);

/// <summary>
/// The code systems, reference data and code pools of the synthetic hospital. Every pool is an array in a fixed
/// order so that picks are deterministic for a given <see cref="Random"/> sequence.
/// </summary>
internal static class SyntheticCodes
{
    public const string Snomed = "http://snomed.info/sct";
    public const string Icd9Cm = "http://hl7.org/fhir/sid/icd-9-cm";
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    public const string Loinc = "http://loinc.org";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string MrnSystem = "http://hospital.example/mrn";
    public const string StaffSystem = "http://hospital.example/staff";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203";
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string LocationPhysicalType = "http://terminology.hl7.org/CodeSystem/location-physical-type";

    public const string OrgOrtho = "org-ortho";
    public const string OrgNeurosurgery = "org-neurosurgery";
    public const string OrgGeneralSurgery = "org-general-surgery";

    public static readonly SyntheticCode TheatreType = new("225738002", "Operating room (environment)");
    public static readonly SyntheticCode WardType = new("225746001", "Ward (environment)");
    public static readonly SyntheticCode SurgicalProcedure = new("387713003", "Surgical procedure");
    public static readonly SyntheticCode SpinalFusion = new("55705006", "Spinal fusion");

    /// <summary>Organizations: id, SNOMED CT type, name.</summary>
    public static readonly (string Id, SyntheticCode Type, string Name)[] Organizations =
    [
        (OrgOrtho, new("394801008", "Trauma and orthopedics"), "Department of Orthopaedics"),
        (OrgNeurosurgery, new("394610002", "Neurosurgery"), "Department of Neurosurgery"),
        (OrgGeneralSurgery, new("394609007", "General surgery"), "Department of General Surgery"),
    ];

    public const int TheatreCount = 6;
    public const int WardCount = 4;

    // ---- ICD-10 diagnoses (dotted, WHO ICD-10 displays) ----

    public static readonly SyntheticCode[] Degenerative =
    [
        new("M51.1", "Lumbar and other intervertebral disc disorders with radiculopathy"),
        new("M48.0", "Spinal stenosis"),
        new("M47.8", "Other spondylosis"),
        new("M43.1", "Spondylolisthesis"),
        new("M50.1", "Cervical disc disorder with radiculopathy"),
        new("M47.2", "Other spondylosis with radiculopathy"),
    ];

    public static readonly int[] DegenerativeWeights = [30, 25, 10, 15, 12, 8];

    public static readonly SyntheticCode[] Deformity =
    [
        new("M41.1", "Juvenile idiopathic scoliosis"),
        new("M41.2", "Other idiopathic scoliosis"),
        new("M40.2", "Other and unspecified kyphosis"),
        new("M41.5", "Other secondary scoliosis"),
    ];

    public static readonly int[] DeformityWeights = [25, 40, 25, 10];

    public static readonly SyntheticCode[] Tumor =
    [
        new("C79.5", "Secondary malignant neoplasm of bone and bone marrow"),
        new("D16.6", "Benign neoplasm of vertebral column"),
        new("C41.2", "Malignant neoplasm of vertebral column"),
        new("C90.0", "Multiple myeloma"),
        new("D32.1", "Benign neoplasm of spinal meninges"),
    ];

    public static readonly int[] TumorWeights = [40, 15, 15, 20, 10];

    public static readonly SyntheticCode[] Fracture =
    [
        new("S32.0", "Fracture of lumbar vertebra"),
        new("S22.0", "Fracture of thoracic vertebra"),
        new("M80.0", "Postmenopausal osteoporosis with pathological fracture"),
        new("T08", "Fracture of spine, level unspecified"),
        new("S12.2", "Fracture of other specified cervical vertebra"),
    ];

    public static readonly int[] FractureWeights = [35, 25, 25, 5, 10];

    /// <summary>Diagnoses that none of the default cohort mappings cover.</summary>
    public static readonly SyntheticCode[] Unclassified =
    [
        new("M54.5", "Low back pain"),
        new("M54.2", "Cervicalgia"),
        new("R29.8", "Other and unspecified symptoms and signs involving the nervous and musculoskeletal systems"),
    ];

    public static readonly SyntheticCode[] Comorbidities =
    [
        new("I10", "Essential (primary) hypertension"),
        new("E11.9", "Type 2 diabetes mellitus without complications"),
    ];

    public static readonly SyntheticCode InfectionAfterProcedure = new("T81.4", "Infection following a procedure, not elsewhere classified");
    public static readonly SyntheticCode Haematoma = new("T81.0", "Haemorrhage and haematoma complicating a procedure, not elsewhere classified");
    public static readonly SyntheticCode CsfLeak = new("G96.0", "Cerebrospinal fluid leak");
    public static readonly SyntheticCode JointProsthesisComplication = new("T84.0", "Mechanical complication of internal joint prosthesis");
    public static readonly SyntheticCode FixationComplication = new("T84.2", "Mechanical complication of internal fixation device of other bones");
    public static readonly SyntheticCode FixationInfection = new("T84.6", "Infection and inflammatory reaction due to internal fixation device [any site]");
    public static readonly SyntheticCode NeuroPostprocedural = new("G97.8", "Other postprocedural disorders of nervous system");
    public static readonly SyntheticCode MusculoskeletalPostprocedural = new("M96.8", "Other postprocedural musculoskeletal disorders");
    public static readonly SyntheticCode WoundDisruption = new("T81.3", "Disruption of operation wound, not elsewhere classified");

    /// <summary>A reason no default mapping covers: presumed related.</summary>
    public static readonly SyntheticCode Fever = new("R50.9", "Fever, unspecified");

    public static readonly SyntheticCode Appendicitis = new("K35.8", "Acute appendicitis, other and unspecified");
    public static readonly SyntheticCode HipFracture = new("S72.0", "Fracture of neck of femur");
    public static readonly SyntheticCode Ileus = new("K56.7", "Ileus, unspecified");

    // ---- ICD-9-CM procedures (dotted) ----

    public static readonly SyntheticCode LumbarFusionPosterior = new("81.07", "Lumbar and lumbosacral fusion of the posterior column, posterior technique");
    public static readonly SyntheticCode LumbarFusionAnteriorColumn = new("81.08", "Lumbar and lumbosacral fusion of the anterior column, posterior technique");
    public static readonly SyntheticCode CervicalFusionAnterior = new("81.02", "Other cervical fusion of the anterior column, anterior technique");
    public static readonly SyntheticCode DorsalFusionPosterior = new("81.05", "Dorsal and dorsolumbar fusion of the posterior column, posterior technique");
    public static readonly SyntheticCode Discectomy = new("80.51", "Excision of intervertebral disc");
    public static readonly SyntheticCode Decompression = new("03.09", "Other exploration and decompression of spinal canal");
    public static readonly SyntheticCode SpinalLesionExcision = new("03.4", "Excision or destruction of lesion of spinal cord or spinal meninges");
    public static readonly SyntheticCode VertebralFractureRepair = new("03.53", "Repair of vertebral fracture");
    public static readonly SyntheticCode Vertebroplasty = new("81.65", "Percutaneous vertebroplasty");
    public static readonly SyntheticCode VertebralAugmentation = new("81.66", "Percutaneous vertebral augmentation");
    public static readonly SyntheticCode CervicalDiscProsthesis = new("84.62", "Insertion of total spinal disc prosthesis, cervical");
    public static readonly SyntheticCode SpinalCordRepair = new("03.59", "Other repair and plastic operations on spinal cord structures");
    public static readonly SyntheticCode LumbarRefusionPosterior = new("81.37", "Lumbar and lumbosacral refusion of the posterior column, posterior technique");

    public static readonly SyntheticCode Fusion2To3 = new("81.62", "Fusion or refusion of 2-3 vertebrae");
    public static readonly SyntheticCode Fusion4To8 = new("81.63", "Fusion or refusion of 4-8 vertebrae");
    public static readonly SyntheticCode Fusion9OrMore = new("81.64", "Fusion or refusion of 9 or more vertebrae");
    public static readonly SyntheticCode InterbodyDevice = new("84.51", "Insertion of interbody spinal fusion device");
    public static readonly SyntheticCode OtherSpinalDevice = new("84.59", "Insertion of other spinal devices");

    public static readonly SyntheticCode ExcisionalDebridement = new("86.22", "Excisional debridement of wound, infection, or burn");
    public static readonly SyntheticCode ImplantRemoval = new("78.69", "Removal of implanted devices from bone, other bones");
    public static readonly SyntheticCode HaemorrhageControl = new("39.98", "Control of hemorrhage, not otherwise specified");

    public static readonly SyntheticCode[] WardProcedures =
    [
        new("86.28", "Nonexcisional debridement of wound, infection or burn"),
        new("86.59", "Closure of skin and subcutaneous tissue of other sites"),
        new("93.57", "Application of other wound dressing"),
        new("96.59", "Other irrigation of wound"),
        new("02.94", "Insertion or replacement of skull tongs or halo traction device"),
        new("03.31", "Spinal tap"),
    ];

    public static readonly SyntheticCode Appendectomy = new("47.09", "Other appendectomy");
    public static readonly SyntheticCode FemurOrif = new("79.35", "Open reduction of fracture with internal fixation, femur");
    public static readonly SyntheticCode ExploratoryLaparotomy = new("54.11", "Exploratory laparotomy");

    /// <summary>Index (principal) procedures per cohort, with weights.</summary>
    public static readonly SyntheticCode[] DegenerativeOperations = [LumbarFusionPosterior, LumbarFusionAnteriorColumn, CervicalFusionAnterior, Discectomy, Decompression, CervicalDiscProsthesis];
    public static readonly int[] DegenerativeOperationWeights = [30, 15, 15, 18, 18, 4];
    public static readonly SyntheticCode[] DeformityOperations = [DorsalFusionPosterior, LumbarFusionPosterior, LumbarFusionAnteriorColumn];
    public static readonly int[] DeformityOperationWeights = [60, 25, 15];
    public static readonly SyntheticCode[] TumorOperations = [Decompression, SpinalLesionExcision, DorsalFusionPosterior, Vertebroplasty];
    public static readonly int[] TumorOperationWeights = [35, 25, 30, 10];
    public static readonly SyntheticCode[] FractureOperations = [VertebralFractureRepair, DorsalFusionPosterior, LumbarFusionPosterior, VertebralAugmentation, Vertebroplasty];
    public static readonly int[] FractureOperationWeights = [25, 25, 20, 20, 10];
    public static readonly SyntheticCode[] UnclassifiedOperations = [LumbarFusionPosterior, Discectomy, Decompression];
    public static readonly SyntheticCode[] NeurosurgeryOperations = [Decompression, SpinalLesionExcision, CervicalFusionAnterior, Discectomy];

    /// <summary>Sibling codes used for the wrong first version of a corrected Procedure (same category).</summary>
    public static readonly SyntheticCode[][] CorrectionFamilies =
    [
        [LumbarFusionPosterior, LumbarFusionAnteriorColumn, DorsalFusionPosterior, CervicalFusionAnterior],
        [Discectomy, Decompression, VertebralFractureRepair, SpinalLesionExcision, SpinalCordRepair],
        [Vertebroplasty, VertebralAugmentation],
        [Fusion2To3, Fusion4To8, Fusion9OrMore],
        [InterbodyDevice, OtherSpinalDevice],
        [ExcisionalDebridement, ImplantRemoval, HaemorrhageControl],
        [LumbarRefusionPosterior, LumbarFusionPosterior],
        [CervicalDiscProsthesis, CervicalFusionAnterior],
        [.. WardProcedures],
        [Appendectomy, ExploratoryLaparotomy],
        [FemurOrif, new("79.15", "Closed reduction of fracture with internal fixation, femur")],
    ];
}
