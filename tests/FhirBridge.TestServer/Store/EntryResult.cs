using System.Globalization;

namespace FhirBridge.TestServer.Store;

/// <summary>The outcome of one <see cref="EntryRequest"/>.</summary>
internal sealed class EntryResult
{
    public required int Status { get; init; }

    /// <summary>The version written, matched (conditional create) or read; null when nothing was.</summary>
    public ResourceVersion? Version { get; init; }

    /// <summary>Whether the response entry carries the resource (GET entries).</summary>
    public bool IncludeResource { get; init; }

    /// <summary>An OperationOutcome for a failed batch entry.</summary>
    public string? OutcomeJson { get; init; }

    public string StatusLine => Status.ToString(CultureInfo.InvariantCulture) + " " + Status switch
    {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        422 => "Unprocessable Entity",
        _ => "Error",
    };
}
