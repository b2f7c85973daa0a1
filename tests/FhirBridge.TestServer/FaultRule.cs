namespace FhirBridge.TestServer;

/// <summary>
/// A fault enqueued on a <see cref="FaultInjector"/>, with the requests it hits: all of <see cref="Interaction"/>,
/// <see cref="ResourceType"/> and <see cref="PathContains"/> that are set must match. After <see cref="Skip"/> matching
/// requests pass, the next <see cref="Times"/> get the fault.
/// </summary>
public sealed class FaultRule
{
    private int _seen;
    private int _fired;

    internal FaultRule(Fault fault, FhirInteraction? interaction, string? resourceType, string? pathContains, int times, int skip)
    {
        Fault = fault;
        Interaction = interaction;
        ResourceType = resourceType;
        PathContains = pathContains;
        Times = times;
        Skip = skip;
    }

    /// <summary>What happens to a request the rule hits.</summary>
    public Fault Fault { get; }

    /// <summary>The interaction a request must be, or null for any.</summary>
    public FhirInteraction? Interaction { get; }

    /// <summary>
    /// The resource type a request must concern, or null for any. Later search pages count as their search's type, and
    /// Bulk Data requests have none.
    /// </summary>
    public string? ResourceType { get; }

    /// <summary>A substring (ordinal) of the request's path and query, as sent, or null for any.</summary>
    public string? PathContains { get; }

    /// <summary>How many requests get the fault (<see cref="int.MaxValue"/>: every matching request).</summary>
    public int Times { get; }

    /// <summary>How many matching requests pass untouched before the fault starts.</summary>
    public int Skip { get; }

    /// <summary>How many requests the fault has hit so far.</summary>
    public int Fired => Volatile.Read(ref _fired);

    /// <summary>True when the rule has hit <see cref="Times"/> requests and hits no more.</summary>
    public bool IsExhausted => Fired >= Times;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Fault} on {Interaction?.ToString() ?? "any"} {ResourceType ?? "*"} {PathContains ?? ""} ({Fired}/{(Times == int.MaxValue ? "always" : Times)})";

    /// <summary>Counts a matching request; true when this one gets the fault. Called under the injector's lock.</summary>
    internal bool TryFire(FhirInteraction interaction, string? resourceType, string pathAndQuery)
    {
        if (IsExhausted
            || (Interaction is { } i && i != interaction)
            || (ResourceType is { } t && !string.Equals(t, resourceType, StringComparison.Ordinal))
            || (PathContains is { } p && !pathAndQuery.Contains(p, StringComparison.Ordinal)))
        {
            return false;
        }

        _seen++;
        if (_seen <= Skip)
        {
            return false;
        }

        Interlocked.Increment(ref _fired);
        return true;
    }
}
