namespace FhirBridge.Cli.Synthetic;

/// <summary>What <see cref="SyntheticHospital.Generate"/> wrote: line counts per file and the intended truth.</summary>
public sealed class SyntheticResult
{
    internal SyntheticResult(
        int patients,
        int seed,
        string outDirectory,
        IReadOnlyDictionary<string, int> lineCounts,
        IReadOnlyList<SyntheticIndexOperation> indexOperations,
        IReadOnlyList<SyntheticRefusedIndex> refusedIndexOperations)
    {
        Patients = patients;
        Seed = seed;
        OutDirectory = outDirectory;
        LineCounts = lineCounts;
        IndexOperations = indexOperations;
        RefusedIndexOperations = refusedIndexOperations;
    }

    /// <summary>The number of patients generated.</summary>
    public int Patients { get; }

    /// <summary>The seed used.</summary>
    public int Seed { get; }

    /// <summary>The directory the NDJSON files were written to.</summary>
    public string OutDirectory { get; }

    /// <summary>
    /// Lines written per resource type (ordinal key order). A Procedure written in two versions counts twice.
    /// </summary>
    public IReadOnlyDictionary<string, int> LineCounts { get; }

    /// <summary>Intended index operations, in output order.</summary>
    public IReadOnlyList<SyntheticIndexOperation> IndexOperations { get; }

    /// <summary>Intended refused index operations (spine operations that fail setting, department or age).</summary>
    public IReadOnlyList<SyntheticRefusedIndex> RefusedIndexOperations { get; }
}
