using FhirBridge.Conformance;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// <see cref="FastInvariant"/> answers "holds" only where the SDK's FHIRPath engine says the same: checked on every
/// instance the validator evaluates an invariant on, over the reference corpus (real registry resources and thousands
/// of mutated copies), and on hand-made inputs it must leave to the engine.
/// </summary>
public class FastInvariantTests
{
    private static readonly FhirPathCompiler Engine = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    [Fact]
    public void CrossCheck_EveryInstanceOfTheReferenceCorpus_FastHoldsOnlyWhereTheEngineHolds()
    {
        var answered = new Dictionary<string, int>(StringComparer.Ordinal);
        var disagreements = new List<string>();
        var current = "";
        var validator = new ProfileValidator(RegistryProfiles.Set)
        {
            CrossCheck = (key, engine) =>
            {
                answered[key] = answered.GetValueOrDefault(key) + 1;
                if (!engine)
                {
                    disagreements.Add($"{current}: {key}");
                }
            },
        };

        var copies = 0;
        foreach (var (label, _, resource) in ValidatorReferenceTests.MutatedResources())
        {
            current = label;
            validator.Validate(resource);
            copies++;
        }

        Assert.True(copies > 5000, $"only {copies} copies checked");
        Assert.Empty(disagreements);

        // The fast path did the work for every invariant of the profiles but the two outside its subset (toString).
        var keys = RegistryProfiles.Set.Definitions.SelectMany(d => d.Differential!.Element).SelectMany(e => e.Constraint).Where(c => c.Severity == ConstraintSeverity.Error).ToList();
        var outside = keys.Where(c => FastInvariant.TryCompile(c.Expression!) is null).Select(c => c.Key!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["fb-pat-1", "fb-sub-2"], outside);
        var unused = keys.Select(c => c.Key!).Except(outside).Where(k => answered.GetValueOrDefault(k) == 0).ToList();
        Assert.True(unused.Count == 0, "never answered fast: " + string.Join(", ", unused));
    }

    [Theory]
    [InlineData("matches('^[0-9a-f]{2}$')", "ab", true)]
    [InlineData("matches('^[0-9a-f]{2}$')", "ab\n", null)] // the engine's $ matches before a final newline: left to it
    [InlineData("matches('^[0-9a-f]{2}$')", "AB", null)]
    [InlineData("matches('^[0-9a-f]{2}$')", "aé", null)]
    [InlineData("startsWith('urn:uuid:')", "urn:uuid:1", true)]
    [InlineData("startsWith('urn:uuid:')", "urn:uuid:\u0301", null)]
    [InlineData("startsWith('urn:uuid:')", "Procedure/1", null)]
    [InlineData("startsWith('urn:uuid:') or startsWith('Procedure/')", "Procedure/1", true)]
    public void SurelyHolds_OnAString_OnlyWhenPlainAndTheEngineAgrees(string expression, string value, bool? fast)
    {
        var node = new FhirString(value).ToPocoNode();
        var compiled = FastInvariant.TryCompile(expression)!;

        Assert.Equal(fast == true, compiled.SurelyHolds(node));
        if (fast == true)
        {
            Assert.True(Engine.Compile(expression).IsTrue(node, new FhirEvaluationContext()));
        }
    }

    [Fact]
    public void SurelyHolds_SeveralItemsWhereOneIsExpected_LeavesItToTheEngine()
    {
        // The engine fails startsWith on two references (an error); the fast path must not say "holds".
        var extension = new Extension("http://x", new CodeableConcept { Coding = [new Coding("urn:uuid:a", "1"), new Coding("urn:uuid:b", "2")] });
        var expression = "value.ofType(CodeableConcept).coding.system.startsWith('urn:uuid:')";

        Assert.False(FastInvariant.TryCompile(expression)!.SurelyHolds(extension.ToPocoNode()));
    }

    [Theory]
    [InlineData("end.toString().substring(0, 10) >= start")]
    [InlineData("birthDate.toString().length() = 4")]
    [InlineData("a implies b")]
    [InlineData("Patient.name.exists()")]
    [InlineData("name.exists() xor id.exists()")]
    [InlineData("value.ofType(string).exists()")]
    [InlineData("code = 'a\\'b'")]
    [InlineData("value > 1.5")]
    public void TryCompile_OutsideTheSubset_IsLeftToTheEngine(string expression) => Assert.Null(FastInvariant.TryCompile(expression));
}
