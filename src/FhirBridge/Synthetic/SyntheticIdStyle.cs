namespace FhirBridge.Cli.Synthetic;

/// <summary>How <c>fhirbridge synth</c> names its resources.</summary>
public enum SyntheticIdStyle
{
    /// <summary>Numbered in the order they are generated (<c>p000001</c>, <c>cond-000001-001</c>): easy to read in a report.</summary>
    Numbered,

    /// <summary>
    /// Opaque, as many hospital servers issue them: every id, and every reference to it, is the first 24 hex digits of
    /// the SHA-256 of the numbered id (<see cref="SyntheticHospital.OpaqueId"/>). Ids then sort in no order the data
    /// follows, so what depends on id order (tie-breaks, an index written in key order) is exercised as it is on such
    /// a server.
    /// </summary>
    Opaque,
}
