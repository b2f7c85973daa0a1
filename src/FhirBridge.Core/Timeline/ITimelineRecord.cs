namespace FhirBridge.Timeline;

/// <summary>A record projected from one version of a source resource.</summary>
public interface ITimelineRecord
{
    /// <summary>The resource version it was read from.</summary>
    SourceRef Ref { get; }
}
