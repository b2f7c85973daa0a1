using FhirBridge.Conformance;
using FhirBridge.Tests.Reconcile;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// The profile check's walk over the POCOs answers "conforms" only where the check over PocoNodes finds no violation,
/// and does answer it for the registry's own resources: over every resource of every change set of the synthetic sample
/// and over the reference corpus with its mutated copies. Alongside, the two ways the fast paths read an instance
/// without PocoNodes (<see cref="FastElementValidation"/>'s elements by name, <see cref="FastInvariant"/> on the POCO)
/// give what the PocoNode and <see cref="Base.EnumerateElements"/> give, on every element of those resources.
/// </summary>
public class ProfileWalkTests
{
    private static readonly IReadOnlyList<FastInvariant> Invariants = [.. RegistryProfiles.Set.Definitions
        .SelectMany(d => d.Differential!.Element)
        .SelectMany(e => e.Constraint)
        .Select(c => FastInvariant.TryCompile(c.Expression!))
        .OfType<FastInvariant>()];

    [Fact]
    public void CrossCheck_EveryResourceOfTheSampleChangeSets_ConformsExactlyWhereTheCheckFindsNothing()
    {
        var disagreements = new List<string>();
        var checkedResources = 0;
        var validator = new ProfileValidator(RegistryProfiles.Set)
        {
            WalkCrossCheck = (resource, conforms, violations) =>
            {
                checkedResources++;
                if (conforms != (violations == 0))
                {
                    disagreements.Add($"{resource.TypeName}/{resource.Id}: walk {(conforms ? "conforms" : "not known")}, check {violations} violation(s)");
                }
            },
        };

        foreach (var (_, changes) in SampleChangeSets.All())
        {
            foreach (var resource in changes.SelectMany(c => c.Transaction.Entry).Select(e => e.Resource).OfType<Resource>())
            {
                validator.Validate(resource);
                AssertReadTheSame(resource);
            }
        }

        Assert.True(checkedResources > 1000, $"only {checkedResources} resources checked");
        Assert.Empty(disagreements);
    }

    [Fact]
    public void CrossCheck_EveryCopyOfTheReferenceCorpus_ConformsOnlyWhereTheCheckFindsNothing()
    {
        var disagreements = new List<string>();
        var current = "";
        int conforming = 0, notKnown = 0, originals = 0, originalsConforming = 0;
        var validator = new ProfileValidator(RegistryProfiles.Set)
        {
            WalkCrossCheck = (_, conforms, violations) =>
            {
                if (conforms)
                {
                    conforming++;
                }
                else
                {
                    notKnown++;
                }

                if (conforms && violations > 0)
                {
                    disagreements.Add($"{current}: walk conforms, check {violations} violation(s)");
                }

                if (current.EndsWith(" original", StringComparison.Ordinal))
                {
                    originals++;
                    originalsConforming += conforms && violations == 0 ? 1 : 0;
                }
            },
        };

        foreach (var (label, _, resource) in ValidatorReferenceTests.MutatedResources())
        {
            current = label;
            validator.Validate(resource);
            AssertReadTheSame(resource);
        }

        Assert.Empty(disagreements);

        // The walk must answer for the real resources and many copies, or it could silently decline everything.
        Assert.True(originals >= 31 && originalsConforming == originals, $"{originalsConforming} of {originals} originals conform");
        Assert.True(conforming > 1000 && notKnown > 1000, $"{conforming} conform, {notKnown} not known");
    }

    [Fact]
    public void SurelyConforms_NullItemInAList_LeavesItToTheCheck()
    {
        // A PocoNode carries a null item on, and the check meets it as it does (here: one more target, no profile
        // violation, the SDK's own finding); the walk does not guess what the check makes of it.
        var provenance = (Provenance)SampleChangeSets.All().SelectMany(s => s.Changes).SelectMany(c => c.Transaction.Entry).Select(e => e.Resource).OfType<Provenance>().First().DeepCopy();
        var walked = new List<(bool Conforms, int Violations)>();
        var validator = new ProfileValidator(RegistryProfiles.Set) { WalkCrossCheck = (_, conforms, violations) => walked.Add((conforms, violations)) };

        Assert.Empty(validator.Validate(provenance));
        provenance.Target.Add(null!);
        var violations = validator.Validate(provenance);

        Assert.Equal([(true, 0), (false, 0)], walked);
        Assert.All(violations, v => Assert.Equal("sdk", v.Rule));
    }

    // FastElementValidation's elements by name are EnumerateElements' own, and FastInvariant answers the same on the
    // POCO as on its PocoNode, on every element of the resource.
    private static void AssertReadTheSame(Resource resource)
    {
        foreach (var node in Descendants(resource.ToPocoNode()))
        {
            if (FastElementValidation.ElementsOf(node.Poco) is { } elements)
            {
                var expected = node.Poco.EnumerateElements().OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
                var actual = elements.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
                Assert.Equal(expected.Select(e => e.Key), actual.Select(e => e.Key));
                Assert.True(expected.Zip(actual).All(p => ReferenceEquals(p.First.Value, p.Second.Value)), $"{node.Poco.TypeName}: another value");
            }

            foreach (var invariant in Invariants)
            {
                Assert.Equal(invariant.SurelyHolds(node), invariant.SurelyHolds(node.Poco));
            }
        }
    }

    private static IEnumerable<PocoNode> Descendants(PocoNode node)
    {
        yield return node;
        foreach (var child in node.Children().SelectMany(c => c).Where(c => c.Poco is not null).SelectMany(Descendants))
        {
            yield return child;
        }
    }
}
