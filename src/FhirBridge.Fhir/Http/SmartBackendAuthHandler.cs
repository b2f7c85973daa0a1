using System.Net;
using System.Net.Http.Headers;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// Adds the source's SMART access token to requests on its own origin. On a 401 the token is dropped, a new one fetched
/// and the request sent once more; a second 401 is returned as it is.
/// </summary>
internal sealed class SmartBackendAuthHandler(FhirSourceEndpoint endpoint, SmartTokenSource tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Credentials.Allowed(request, endpoint))
        {
            return await base.SendAsync(request, cancellationToken);
        }

        if (request.Content is not null)
        {
            // So the body can be sent again after a 401 (the server refused it before doing anything).
            await request.Content.LoadIntoBufferAsync(cancellationToken);
        }

        var token = await tokens.GetAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        response.Dispose();
        tokens.Invalidate(token, $"{(int)HttpStatusCode.Unauthorized} on {request.Method} {request.RequestUri?.AbsolutePath}");
        var fresh = await tokens.GetAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh.Value);
        return await base.SendAsync(request, cancellationToken);
    }
}
