namespace FhirBridge.Fhir.Push;

/// <summary>Why a change set was not accepted.</summary>
/// <param name="Message">One line: the status and the registry's own words (OperationOutcome issues), or the network error.</param>
/// <param name="Permanent">True when sending it again cannot help (the registry refused its content): it becomes a dead letter. False leaves it pending.</param>
/// <param name="RetryAfter">How long the registry asked to wait (<c>Retry-After</c> on 429 or 503), or null.</param>
/// <param name="Settle">
/// After a timeout, the least wait before sending it again, because the registry may still be applying it: the request
/// timeout. Null for any other failure.
/// </param>
public sealed record PushFailure(string Message, bool Permanent, TimeSpan? RetryAfter = null, TimeSpan? Settle = null);
