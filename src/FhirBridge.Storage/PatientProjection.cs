using System.Collections;
using FhirBridge.Reconcile;

namespace FhirBridge.Storage;

/// <summary>
/// A patient's projection as read (the registry records last handed over, in record key order) and its
/// <see cref="Version"/>: a recompute computed from it is committed only while the version is still this one
/// (<see cref="RecomputeCommit.ProjectionVersion"/>).
/// </summary>
/// <param name="records">The patient's records.</param>
/// <param name="version">The projection's version when it was read; 0 for a patient never committed.</param>
public sealed class PatientProjection(IReadOnlyList<ProjectedRecord> records, long version) : IReadOnlyList<ProjectedRecord>
{
    /// <summary>
    /// Counts the changes to the patient's projection: every commit of the patient and every hand-over that takes
    /// records from them. Rows read together with it are exactly the rows of this version.
    /// </summary>
    public long Version => version;

    /// <inheritdoc />
    public int Count => records.Count;

    /// <inheritdoc />
    public ProjectedRecord this[int index] => records[index];

    /// <inheritdoc />
    public IEnumerator<ProjectedRecord> GetEnumerator() => records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
