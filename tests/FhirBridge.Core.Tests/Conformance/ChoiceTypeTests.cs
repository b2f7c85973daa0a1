using Hl7.Fhir.Model;
using static FhirBridge.Tests.Conformance.RegistryResources;

namespace FhirBridge.Tests.Conformance;

/// <summary>Choice elements: restricted by type (<c>performed[x]</c> as Period) or by a renamed path (<c>effectivePeriod</c>).</summary>
public class ChoiceTypeTests
{
    [Fact]
    public void TypedChoice_ValueOfAnotherType_ReportsTypeOnly()
    {
        var procedure = Procedure();
        procedure.Performed = new FhirDateTime("2024-03-01T09:00:00+08:00");

        // Not also "start missing": the children the profile constrains belong to the Period it should have been.
        var violation = ViolationAssert.ReportsOnly(procedure, "type", "Procedure.performed[x]");

        Assert.Contains("Period", violation.Message, StringComparison.Ordinal);
        Assert.Contains("dateTime", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TypedChoice_ValueOfTheAllowedType_Conforms()
    {
        var procedure = Procedure();
        procedure.Performed = new Period { Start = "2024-03-01T09:00:00+08:00" };

        ViolationAssert.Conforms(procedure);
    }

    [Fact]
    public void TypedChoice_AllowedTypeMissingRequiredChild_ReportsChildMin()
    {
        var procedure = Procedure();
        procedure.Performed = new Period { End = "2024-03-01T12:00:00+08:00" };

        ViolationAssert.ReportsOnly(procedure, "min", "Procedure.performed[x].start");
    }

    [Fact]
    public void TypedChoice_Missing_ReportsMin()
    {
        var procedure = Procedure();
        procedure.Performed = null;

        ViolationAssert.ReportsOnly(procedure, "min", "Procedure.performed[x]");
    }

    [Fact]
    public void TypedChoice_PrimitiveTypeRestrictionGivenPeriod_ReportsType()
    {
        var observation = RiskFactorObservation();
        observation.Effective = new Period { Start = "2024-02-28T08:00:00+08:00" };

        ViolationAssert.ReportsOnly(observation, "type", "Observation.effective[x]");
    }

    [Fact]
    public void RenamedChoice_ValueOfAnotherType_ReportsTypeAtTheRenamedPath()
    {
        var observation = OutcomeObservation();
        observation.Effective = new FhirDateTime("2024-03-31");

        ViolationAssert.ReportsOnly(observation, "type", "Observation.effectivePeriod");
    }

    [Fact]
    public void RenamedChoice_Missing_ReportsMin()
    {
        var observation = OutcomeObservation();
        observation.Effective = null;

        ViolationAssert.ReportsOnly(observation, "min", "Observation.effectivePeriod");
    }

    [Fact]
    public void RenamedChoice_QuantityGivenString_ReportsType()
    {
        var observation = RiskFactorObservation();
        observation.Value = new FhirString("27.4 kg/m2");

        ViolationAssert.ReportsOnly(observation, "type", "Observation.valueQuantity");
    }

    [Fact]
    public void RenamedChoice_QuantityWithoutValue_ReportsChildMin()
    {
        var observation = RiskFactorObservation();
        observation.Value = new Quantity { Unit = "kg/m2", System = "http://unitsofmeasure.org", Code = "kg/m2" };

        ViolationAssert.ReportsOnly(observation, "min", "Observation.valueQuantity.value");
    }

    [Fact]
    public void RenamedChoice_QuantityWithValue_Conforms()
    {
        var observation = RiskFactorObservation();
        observation.Value = new Quantity { Value = 31m, Unit = "kg/m2", System = "http://unitsofmeasure.org", Code = "kg/m2" };

        ViolationAssert.Conforms(observation);
    }

    [Theory]
    [InlineData("boolean")]
    [InlineData("dateTime")]
    public void UnrestrictedChoiceMaxZero_AnyType_ReportsMax(string type)
    {
        var patient = Patient();
        patient.Deceased = type == "boolean" ? new FhirBoolean(true) : new FhirDateTime("2024-05-01");

        ViolationAssert.ReportsOnly(patient, "max", "Patient.deceased[x]");
    }
}
