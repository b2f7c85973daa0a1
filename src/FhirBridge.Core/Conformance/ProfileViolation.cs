namespace FhirBridge.Conformance;

/// <summary>
/// One way a resource fails its registry profile or the FHIR SDK's own validation. The message names the element
/// and the rule, never the element's value: registry resources are patient data, and violations end up in logs.
/// </summary>
/// <param name="ResourceType">The resource's type, e.g. <c>Patient</c>.</param>
/// <param name="Path">
/// The profile's element id (<c>Patient.identifier.system</c>, <c>Procedure.extension:researchSubject</c>), or for
/// <c>sdk</c> the SDK's instance path (<c>Patient.identifier[0]</c>).
/// </param>
/// <param name="Rule">
/// <c>profile</c> (missing or unknown <c>meta.profile</c>), <c>type</c> (wrong resource type, or a choice element
/// of a type the profile does not allow), <c>min</c>, <c>max</c>, <c>fixed</c>, <c>pattern</c>, <c>sdk</c>, or
/// the key of the invariant that failed (e.g. <c>fb-pat-1</c>).
/// </param>
/// <param name="Message">What is wrong and where in the instance, without its values.</param>
public sealed record ProfileViolation(string ResourceType, string Path, string Rule, string Message);
