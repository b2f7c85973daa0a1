using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Timeout;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// The one resilience pipeline of a source's clients (Polly v8 through Microsoft.Extensions.Http.Resilience): retry
/// (outermost; GET only, exponential backoff with jitter, <c>Retry-After</c> honoured on 429/503), then the circuit
/// breaker (one per endpoint and client, since pipelines are keyed by client name), then the per-attempt timeout.
/// </summary>
internal static class FhirResilience
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, FhirSourceEndpoint endpoint, TimeProvider clock, ILogger logger)
    {
        var settings = endpoint.Settings;
        if (settings.MaxRetries > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = settings.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                MaxDelay = settings.MaxRetryDelay,
                ShouldRetryAfterHeader = false, // DelayGenerator below does it, on the injected clock and capped
                ShouldHandle = args => ValueTask.FromResult(IsIdempotent(args.Context.GetRequestMessage()) && IsTransient(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter.ForRetry(args.Outcome.Result, clock, settings.MaxRetryDelay)),
                OnRetry = args =>
                {
                    var request = args.Context.GetRequestMessage();
                    logger.LogWarning("Retrying {Method} {Path} of {Endpoint} in {Delay} ms (attempt {Attempt}): {Failure}",
                        request?.Method, request?.RequestUri?.AbsolutePath, endpoint.Label, (long)args.RetryDelay.TotalMilliseconds,
                        args.AttemptNumber + 2, Describe(args.Outcome));
                    return default;
                },
            });
        }

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = settings.CircuitBreakerFailureRatio,
            MinimumThroughput = settings.CircuitBreakerMinimumThroughput,
            SamplingDuration = settings.CircuitBreakerSamplingDuration,
            BreakDuration = settings.CircuitBreakerBreakDuration,
            // Throttling (429) says "slow down", not "broken": it does not count against the circuit.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests && IsTransient(args.Outcome)),
            OnOpened = args =>
            {
                logger.LogError("Circuit of {Endpoint} opened for {Seconds} s after repeated failures: {Failure}",
                    endpoint.Label, args.BreakDuration.TotalSeconds, Describe(args.Outcome));
                return default;
            },
            OnClosed = _ =>
            {
                logger.LogInformation("Circuit of {Endpoint} closed again", endpoint.Label);
                return default;
            },
        });

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = settings.RequestTimeout });
    }

    /// <summary>Only GETs are replayed: a POST (a transaction, a token request), PUT or DELETE never is.</summary>
    private static bool IsIdempotent(HttpRequestMessage? request) => request is not null && request.Method == HttpMethod.Get;

    /// <summary>Failures worth another attempt: the connection, a timeout, a cut-off body, or a server-side status.</summary>
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => outcome.Result?.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
        HttpRequestException or IOException or TimeoutRejectedException or MalformedResponseException => true,
        _ => false,
    };

    private static string Describe(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => $"{(int?)outcome.Result?.StatusCode} {outcome.Result?.ReasonPhrase}",
        TimeoutRejectedException => "timed out",
        { InnerException: { } inner } e => $"{e.GetType().Name}: {e.Message} ({inner.Message})",
        var e => $"{e.GetType().Name}: {e.Message}",
    };
}
