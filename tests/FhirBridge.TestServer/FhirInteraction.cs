namespace FhirBridge.TestServer;

/// <summary>
/// What a request to the test server asks for, as the server recognised it. Fault rules match on it and the request log
/// records it.
/// </summary>
public enum FhirInteraction
{
    /// <summary>Anything the server does not recognise (answered 404 or 405).</summary>
    Unknown = 0,

    /// <summary><c>GET [base]metadata</c>: the CapabilityStatement.</summary>
    Capabilities,

    /// <summary><c>GET [base].well-known/smart-configuration</c>.</summary>
    SmartConfiguration,

    /// <summary><c>POST {origin}auth/token</c>: the SMART Backend Services token endpoint.</summary>
    Token,

    /// <summary><c>GET [base]{type}/{id}</c>.</summary>
    Read,

    /// <summary><c>GET [base]{type}/{id}/_history/{vid}</c>.</summary>
    VRead,

    /// <summary><c>GET [base]{type}/{id}/_history</c>.</summary>
    History,

    /// <summary><c>POST [base]{type}</c>, conditional with <c>If-None-Exist</c> or not.</summary>
    Create,

    /// <summary><c>PUT [base]{type}/{id}</c> or conditional <c>PUT [base]{type}?criteria</c>.</summary>
    Update,

    /// <summary><c>DELETE [base]{type}/{id}</c> or conditional <c>DELETE [base]{type}?criteria</c>.</summary>
    Delete,

    /// <summary>The first page of a search: <c>GET [base]{type}?...</c> or <c>POST [base]{type}/_search</c>.</summary>
    Search,

    /// <summary>A later page of a search, reached through a <c>next</c> (or other) link.</summary>
    SearchPage,

    /// <summary><c>POST [base]</c> with a <c>transaction</c> or <c>batch</c> Bundle.</summary>
    Transaction,

    /// <summary>A Bulk Data kick-off: <c>GET [base]$export</c>, <c>[base]Patient/$export</c> or <c>[base]Group/{id}/$export</c>.</summary>
    ExportKickoff,

    /// <summary><c>GET</c> on a Bulk Data status URL (the kick-off's <c>Content-Location</c>).</summary>
    ExportStatus,

    /// <summary><c>DELETE</c> on a Bulk Data status URL.</summary>
    ExportCancel,

    /// <summary><c>GET</c> on an NDJSON file named in a Bulk Data manifest.</summary>
    ExportFile,
}
