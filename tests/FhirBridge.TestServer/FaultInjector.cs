namespace FhirBridge.TestServer;

/// <summary>
/// The faults a <see cref="FhirTestServer"/> injects, programmable from tests while the server runs. Thread-safe. Rules
/// are tried in the order they were enqueued; a request gets at most one fault that replaces or delays its answer, and
/// modifying faults (foreign links, manifest error files) are taken where the answer has a place for them.
/// Requests to the foreign listener never get faults.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _lock = new();
    private readonly List<FaultRule> _rules = [];

    /// <summary>Enqueues a fault.</summary>
    /// <param name="fault">What happens to the requests the rule hits.</param>
    /// <param name="on">The interaction to hit, or null for any.</param>
    /// <param name="resourceType">The resource type to hit, or null for any.</param>
    /// <param name="times">How many requests get the fault; <see cref="int.MaxValue"/> for all of them.</param>
    /// <param name="skip">How many matching requests pass before the fault starts (2 hits the third page, say).</param>
    /// <param name="pathContains">A substring the request's path and query must contain, or null.</param>
    /// <returns>The rule, to check <see cref="FaultRule.Fired"/> later.</returns>
    public FaultRule Enqueue(Fault fault, FhirInteraction? on = null, string? resourceType = null, int times = 1, int skip = 0,
        string? pathContains = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        var rule = new FaultRule(fault, on, resourceType, pathContains, times, skip);
        lock (_lock)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    /// <summary>The rules not yet exhausted, in the order they are tried.</summary>
    public IReadOnlyList<FaultRule> Pending
    {
        get
        {
            lock (_lock)
            {
                return _rules.Where(r => !r.IsExhausted).ToArray();
            }
        }
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    /// <summary>Takes the first fault that replaces or delays the answer to this request, if any.</summary>
    internal Fault? TakeEarly(FhirInteraction interaction, string? resourceType, string pathAndQuery) =>
        Take(f => !f.IsModifier, interaction, resourceType, pathAndQuery);

    /// <summary>Takes the first modifying fault of <paramref name="kind"/> for this request, if any.</summary>
    internal Fault? TakeModifier(FaultKind kind, FhirInteraction interaction, string? resourceType, string pathAndQuery) =>
        Take(f => f.Kind == kind, interaction, resourceType, pathAndQuery);

    private Fault? Take(Func<Fault, bool> kinds, FhirInteraction interaction, string? resourceType, string pathAndQuery)
    {
        lock (_lock)
        {
            foreach (var rule in _rules)
            {
                if (kinds(rule.Fault) && rule.TryFire(interaction, resourceType, pathAndQuery))
                {
                    return rule.Fault;
                }
            }

            return null;
        }
    }
}
