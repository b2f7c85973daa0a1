namespace FhirBridge.Cli.Push;

/// <summary>
/// How <see cref="RegistryPush"/> retries a change set that failed transiently, within one push: exponential backoff with
/// jitter, at least the <c>Retry-After</c> the registry asked for, a few attempts and a bounded total wait. After that the
/// change set stays pending (attempts and last error recorded) for the next push cycle.
/// </summary>
public sealed record RegistryPushRetry
{
    /// <summary>Attempts per change set in one push, the first included; 1 turns retries off. Default 4.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait before the first retry; it doubles for each next one. Default 1 second.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait before one retry. A <c>Retry-After</c> longer than this ends the retries of this push: the change
    /// set waits for the next one instead. Default 30 seconds.
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most time spent waiting between attempts of one change set in one push. Default 2 minutes.</summary>
    public TimeSpan MaxTotalDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The seed of the jitter, for repeatable waits in tests; null (the default) seeds it at random.</summary>
    public int? Seed { get; init; }

    /// <summary>No retries within a push.</summary>
    public static RegistryPushRetry None { get; } = new() { MaxAttempts = 1 };
}
