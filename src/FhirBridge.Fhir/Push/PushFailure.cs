namespace FhirBridge.Fhir.Push;

/// <summary>Why a change set was not accepted.</summary>
/// <param name="Message">One line: the status and the registry's own words (OperationOutcome issues), or the network error.</param>
/// <param name="Permanent">True when sending it again cannot help (the registry refused its content): it becomes a dead letter. False leaves it pending.</param>
/// <param name="RetryAfter">
/// The least wait before sending it again: what the registry asked for (<c>Retry-After</c> on 429 or 503), or, after a
/// timeout, the request timeout (the registry may still be applying it); null for none.
/// </param>
public sealed record PushFailure(string Message, bool Permanent, TimeSpan? RetryAfter = null);
