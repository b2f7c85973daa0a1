namespace FhirBridge.Fhir.Tests.Support;

/// <summary>
/// A clock the test sets and moves, shared by the test server (meta.lastUpdated, token expiry, JWT checks) and the
/// client (token cache, Retry-After dates, polling deadlines). Only <see cref="GetUtcNow"/> is faked: timers and delays
/// run in real time, so retries and polls still happen.
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public static DateTimeOffset DefaultStart { get; } = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
