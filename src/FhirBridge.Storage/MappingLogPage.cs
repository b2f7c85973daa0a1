namespace FhirBridge.Storage;

/// <summary>One page of a mapping-log query.</summary>
/// <param name="Total">How many entries match the filters, on every page.</param>
/// <param name="Records">The entries of this page, newest first.</param>
public sealed record MappingLogPage(int Total, IReadOnlyList<MappingLogRecord> Records);
