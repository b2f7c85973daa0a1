using System.Text.Json;

namespace FhirBridge.TestServer.Store;

/// <summary>One write or read, from a transaction or batch entry or from a single REST request.</summary>
internal sealed class EntryRequest
{
    /// <summary>The entry's position in the Bundle (0 for a single REST request).</summary>
    public required int Index { get; init; }

    /// <summary><c>GET</c>, <c>POST</c>, <c>PUT</c> or <c>DELETE</c>.</summary>
    public required string Method { get; init; }

    /// <summary><c>Type</c>, <c>Type/id</c> or <c>Type?criteria</c>, relative to the base.</summary>
    public required string Url { get; init; }

    public string? FullUrl { get; init; }

    public string? IfNoneExist { get; init; }

    public string? IfMatch { get; init; }

    public JsonElement? Resource { get; init; }
}
