using FhirBridge.TestServer.Store;

namespace FhirBridge.TestServer.Search;

/// <summary>The result set of a search as it was at its first page; later pages are cut from it.</summary>
internal sealed record SearchSnapshot(string Type, IReadOnlyList<ResourceVersion> Results, int PageSize);
