namespace FhirBridge.TestServer.Store;

/// <summary>One immutable version of a resource (or the deletion that ended it).</summary>
internal sealed class ResourceVersion
{
    public required string Type { get; init; }

    public required string Id { get; init; }

    public required int VersionId { get; init; }

    public required DateTimeOffset LastUpdated { get; init; }

    /// <summary>The HTTP method that made this version (<c>PUT</c>, <c>POST</c>, <c>DELETE</c>), for history.</summary>
    public required string Method { get; init; }

    /// <summary>The resource's JSON with <c>id</c> and <c>meta</c>; null for a deletion.</summary>
    public string? Json { get; init; }

    public required SearchIndex Index { get; init; }

    public bool IsDeleted => Json is null;

    public string Reference => Type + "/" + Id;

    public string VersionedReference => FormattableString.Invariant($"{Type}/{Id}/_history/{VersionId}");
}
