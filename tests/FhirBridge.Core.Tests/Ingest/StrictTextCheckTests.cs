using FhirBridge.Ingest;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The literal checks of types whose literals repeat remember the SDK's verdicts in a bounded cache: the verdict is
/// the SDK's for a literal seen once, seen again, and after the cache is full.
/// </summary>
public class StrictTextCheckTests
{
    [Theory]
    [InlineData(typeof(FhirUri))]
    [InlineData(typeof(Code))]
    [InlineData(typeof(Oid))]
    public void CheckOf_ManyDistinctLiterals_AlwaysTheSdksVerdict(Type type)
    {
        var check = StrictShape.CheckOf(type);
        var sdk = (Func<string, bool>)Delegate.CreateDelegate(typeof(Func<string, bool>), type.GetMethod("IsValidValue", [typeof(string)])!);

        // Twice the cache's size, valid and invalid literals alternating, each asked twice: from the SDK, then from the
        // cache while it has room, and from the SDK again once it is full.
        var literals = Enumerable.Range(0, 8192)
            .Select(i => i % 2 == 0 ? $"urn:oid:1.2.{i}" : i % 4 == 1 ? $" padded {i} " : "")
            .ToList();
        var (valid, invalid) = (0, 0);
        foreach (var literal in literals.Concat(literals))
        {
            var expected = sdk(literal);
            Assert.Equal(expected, check(literal));
            _ = expected ? valid++ : invalid++;
        }

        Assert.True(invalid > 0, "some literals must be invalid for this test to say anything");
        Assert.True(type == typeof(Code) || valid > 0, "some literals must be valid for this test to say anything");
    }
}
