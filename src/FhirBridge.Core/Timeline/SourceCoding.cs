namespace FhirBridge.Timeline;

/// <summary>A code as the source wrote it (system and code only: displays and text are never kept, they can carry free text).</summary>
public sealed record SourceCoding(string? System, string Code)
{
    /// <inheritdoc />
    public override string ToString() => System is null ? Code : $"{System}|{Code}";
}
