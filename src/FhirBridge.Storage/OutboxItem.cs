namespace FhirBridge.Storage;

/// <summary>One change set waiting for (or refused by) the registry.</summary>
/// <param name="Id">Its id in the outbox.</param>
/// <param name="Source">The source it came from.</param>
/// <param name="Patient">The source patient id (never sent; kept for replay and diagnosis inside the hospital).</param>
/// <param name="SubjectKey">The ResearchSubject identifier the change set is about.</param>
/// <param name="Bundle">The transaction Bundle (FHIR JSON).</param>
/// <param name="Attempts">How many times it was sent.</param>
/// <param name="State"><c>pending</c>, <c>sent</c> or <c>dead</c>.</param>
/// <param name="LastError">The last failure, as the registry or the network reported it.</param>
public sealed record OutboxItem(long Id, string Source, string Patient, string SubjectKey, string Bundle, int Attempts, string State, string? LastError);
