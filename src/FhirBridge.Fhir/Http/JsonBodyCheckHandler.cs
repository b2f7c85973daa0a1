using System.Net;
using System.Text.Json;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// Buffers a successful JSON response inside the attempt (so the attempt timeout covers the body too) and checks that it
/// is well-formed JSON. A cut-off or corrupt body throws <see cref="MalformedResponseException"/>, which the retry treats
/// as transient. NDJSON and other bodies pass through unbuffered (Bulk Data files are streamed).
/// </summary>
internal sealed class JsonBodyCheckHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode || !IsJson(response.Content.Headers.ContentType?.MediaType))
        {
            return response;
        }

        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length == 0 && response.StatusCode != HttpStatusCode.OK)
            {
                return response;
            }

            var reader = new Utf8JsonReader(body, isFinalBlock: true, state: default);
            try
            {
                while (reader.Read())
                {
                }

                if (reader.BytesConsumed == 0)
                {
                    throw new MalformedResponseException($"the {(int)response.StatusCode} response to {request.Method} {request.RequestUri?.AbsolutePath} has an empty JSON body");
                }
            }
            catch (JsonException)
            {
                // The reader's own message may quote the offending bytes: say only where the body broke.
                throw new MalformedResponseException(
                    $"the {(int)response.StatusCode} response to {request.Method} {request.RequestUri?.AbsolutePath} is not well-formed JSON (broken near byte {reader.BytesConsumed} of {body.Length})");
            }

            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static bool IsJson(string? mediaType) =>
        mediaType is not null
        && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
