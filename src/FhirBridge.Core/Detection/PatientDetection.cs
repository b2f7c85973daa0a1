using FhirBridge.MappingLog;

namespace FhirBridge.Detection;

/// <summary>What the rule found for one patient: the subjects, the refused index operations, and every decision.</summary>
public sealed record PatientDetection(IReadOnlyList<Subject> Subjects, IReadOnlyList<RefusedIndex> Refused, IReadOnlyList<MappingLogEntry> Log);
