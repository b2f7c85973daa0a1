namespace FhirBridge.Detection;

/// <summary>One arm of the study: its report name and the diagnosis category that puts an index operation in it.</summary>
/// <param name="Name">The name in the report and in <c>ResearchSubject.assignedArm</c>, e.g. <c>degenerative</c>.</param>
/// <param name="Category">The diagnosis category, e.g. <c>cohort-degenerative</c>.</param>
public sealed record CohortGroup(string Name, string Category)
{
    /// <summary>The group of an index operation whose diagnoses map to no arm.</summary>
    public const string Unclassified = "unclassified";
}
