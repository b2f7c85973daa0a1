namespace FhirBridge.TestServer.Export;

/// <summary>One NDJSON file of a Bulk Data export.</summary>
internal sealed record ExportFile(string Name, string Type, int Count, byte[] Content);
