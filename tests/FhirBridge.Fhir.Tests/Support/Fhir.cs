using Hl7.Fhir.Model;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>Small FHIR resources for seeding, with ids unique to the test run (so an external server's other data never collides).</summary>
internal static class Fhir
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..6];

    public static string Id(string name) => $"{name}-{Run}";

    public static Patient Patient(string id) => new()
    {
        Id = id,
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-01-01",
    };

    public static Procedure Procedure(string id, string patientId, EventStatus status = EventStatus.Completed) => new()
    {
        Id = id,
        Status = status,
        Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-9-cm", "81.07"),
        Subject = new ResourceReference("Patient/" + patientId),
        Performed = new FhirDateTime("2024-03-01T09:00:00+08:00"),
    };

    public static Encounter Encounter(string id, string patientId) => new()
    {
        Id = id,
        Status = Hl7.Fhir.Model.Encounter.EncounterStatus.Finished,
        Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
        Subject = new ResourceReference("Patient/" + patientId),
    };

    public static Condition Condition(string id, string patientId) => new()
    {
        Id = id,
        Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10", "M51.16"),
        Subject = new ResourceReference("Patient/" + patientId),
    };

    public static Location Location(string id) => new() { Id = id, Name = "Theatre 3" };

    public static Organization Organization(string id) => new() { Id = id, Name = "Orthopaedics" };
}
