using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// The outermost handler of a source's client: a request to another origin than the source's base URL, or over plain
/// http where https is required, is refused and logged before anything is sent (so no credentials can leak to it, and
/// retries never see it). The auth client checks the scheme only: a SMART token endpoint may live on another host.
/// </summary>
internal sealed class OriginGuardHandler(FhirSourceEndpoint endpoint, bool sameOriginOnly, ILogger logger) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri)
        {
            throw new RefusedRequestException($"{endpoint.Label}: a request without an absolute URL was refused");
        }

        if (sameOriginOnly && !endpoint.IsOwnOrigin(uri))
        {
            logger.LogWarning("Refused a {Method} request of {Endpoint} to {Origin}: not the origin of its base URL ({BaseOrigin})",
                request.Method, endpoint.Label, Origins.Of(uri), endpoint.Origin);
            throw new RefusedRequestException(
                $"{endpoint.Label}: refused a request to {Origins.Of(uri)}, another origin than the base URL's {endpoint.Origin}");
        }

        if (!Origins.SchemeAllowed(uri, endpoint.Settings.AllowInsecureHttp))
        {
            logger.LogWarning("Refused a {Method} request of {Endpoint} to {Origin}: plain http is allowed only on loopback or when AllowInsecureHttp is set",
                request.Method, endpoint.Label, Origins.Of(uri));
            throw new RefusedRequestException(
                $"{endpoint.Label}: refused plain http to {Origins.Of(uri)}; use https, or allow insecure http explicitly");
        }

        return base.SendAsync(request, cancellationToken);
    }
}
