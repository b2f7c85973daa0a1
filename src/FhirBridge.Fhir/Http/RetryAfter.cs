using System.Net;

namespace FhirBridge.Fhir.Http;

/// <summary>The wait a <c>Retry-After</c> header asks for (RFC 9110 section 10.2.3): delta seconds or an HTTP date.</summary>
internal static class RetryAfter
{
    /// <summary>The wait, never negative, or null when the response has no usable header.</summary>
    public static TimeSpan? Of(HttpResponseMessage? response, TimeProvider clock)
    {
        var header = response?.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - clock.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>The wait before retrying a 429 or 503 that sent <c>Retry-After</c>, capped; null to use the backoff.</summary>
    public static TimeSpan? ForRetry(HttpResponseMessage? response, TimeProvider clock, TimeSpan max) =>
        response?.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && Of(response, clock) is { } wait
            ? wait > max ? max : wait
            : null;
}
