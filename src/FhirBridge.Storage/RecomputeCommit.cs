using FhirBridge.MappingLog;
using FhirBridge.Reconcile;

namespace FhirBridge.Storage;

/// <summary>One patient's recompute, as <see cref="IStateStore.CommitRecomputesAsync"/> commits it.</summary>
/// <param name="Patient">The patient id.</param>
/// <param name="Generation">The dirty generation read; the dirty mark is cleared only if it is still this one (null: leave it).</param>
/// <param name="Projection">The registry records now handed over; replaces the patient's projection unless <see cref="ProjectionUnchanged"/>.</param>
/// <param name="ChangeSets">The change sets to enqueue, in order, each with the verdict of its profile check if it had one.</param>
/// <param name="Log">The patient's mapping-log entries; replace theirs.</param>
/// <param name="Detection">
/// The patient's detection as the service stores it for reports (opaque JSON); replaces the stored one, and null removes
/// it, so a report never reads a result older than the patient's last recompute.
/// </param>
public sealed record RecomputeCommit(
    string Patient,
    long? Generation,
    IReadOnlyList<ProjectedRecord> Projection,
    IReadOnlyList<QueuedChangeSet> ChangeSets,
    IReadOnlyList<MappingLogEntry> Log,
    string? Detection)
{
    /// <summary>
    /// The projection is exactly the one the recompute read (the same records, hashes, subjects and windows), so the
    /// store keeps the rows it holds instead of writing them again: most recomputes of an incremental run change
    /// nothing, and the projection's rows are most of what a commit writes.
    /// </summary>
    public bool ProjectionUnchanged { get; init; }

    /// <summary>
    /// The <see cref="PatientProjection.Version"/> the recompute read. The commit is applied only if the patient's
    /// projection is still at that version; otherwise it was computed from a state that is no longer current (another
    /// recompute of the patient was committed since, or a hand-over took records from them) and is dropped whole:
    /// nothing of it is written and the patient is marked dirty, to be recomputed from the current state. Null: the
    /// commit was not computed from a read projection and is applied whatever the version.
    /// </summary>
    public long? ProjectionVersion { get; init; }

    /// <summary>
    /// When the patient's detection stops holding without new data, other than a follow-up window closing (which the
    /// projection's windows carry): the start of the earliest Procedure left out as after the as-of time. Stored with
    /// the detection; <see cref="IStateStore.GetPatientsToJudgeAgainAsync"/> gives the patient once it has passed.
    /// </summary>
    public DateTimeOffset? JudgeAgainAt { get; init; }
}
