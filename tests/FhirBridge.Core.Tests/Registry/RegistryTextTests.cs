using System.Security.Cryptography;
using System.Text;
using FhirBridge.Registry;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Registry;

/// <summary>
/// Pseudonyms, a key's text forms and a Provenance's sources are made without intermediate strings: each is what the
/// string-built form gave, over text that UTF-8 encodes in one to four bytes (and lone surrogates), empty parts and
/// parts longer than the scratch buffer starts with.
/// </summary>
public class RegistryTextTests
{
    private const string Key = "registry-text-tests-key-01";

    private static readonly string[] Texts =
    [
        string.Empty, "a", "a|b", "hospital-a", "NCT05995327", "Procedure/123", "p 1/ü?&=", "脊柱 <tumor> & 'other'", "😀 emoji",
        "lone \ud800 high", "lone \udc00 low", "\ud83d", "\ude00", "ends high \ud83d", "\u001f:5", new string('x', 3000), new string('é', 1500),
    ];

    // The pseudonym as it was built: the length-prefixed parts in a string, then its UTF-8.
    private static string HashFromText(string kind, string[] parts)
    {
        var text = new StringBuilder(kind);
        foreach (var part in parts)
        {
            text.Append('\u001f').Append(part.Length).Append(':').Append(part);
        }

        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(text.ToString())));
    }

    [Fact]
    public void Hash_AnyParts_IsTheHashOfTheTextAsBuiltBefore()
    {
        var pseudonyms = new Pseudonymizer(Key);
        foreach (var kind in Texts)
        {
            foreach (var part in Texts)
            {
                string[][] cases = [[], [part], [part, kind], [kind, part, part]];
                foreach (var parts in cases)
                {
                    Assert.Equal(HashFromText(kind, parts), pseudonyms.Hash(kind, parts));
                }
            }
        }

        Assert.Equal(HashFromText("patient", ["hospital-a", "p1"]), pseudonyms.Patient("hospital-a", "p1"));
    }

    [Fact]
    public void RegistryKey_TextForms_AreThoseBuiltFromTheParts()
    {
        foreach (var type in new[] { "Patient", "Provenance" })
        {
            foreach (var system in new[] { string.Empty, "urn:pseudonym|x", "https://fhirbridge.org/sid/subject" })
            {
                foreach (var value in Texts.Where(t => !t.Contains('|', StringComparison.Ordinal)))
                {
                    var key = new RegistryKey(type, system, value);
                    var text = $"{type}|{system}|{value}";
                    Assert.Equal(text, key.ToString());
                    Assert.Equal("urn:uuid:" + new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16)), key.FullUrl);
                    Assert.Equal(system.Length == 0 ? $"{type}/{value}" : $"{type}?identifier={Uri.EscapeDataString(system)}|{Uri.EscapeDataString(value)}", key.RequestUrl);

                    var parsed = RegistryKey.Parse(text);
                    Assert.Equal(key, parsed);
                    Assert.Equal(key.GetHashCode(), parsed.GetHashCode());
                    Assert.Equal(key.FullUrl, parsed.FullUrl);
                    Assert.Equal(text, parsed.ToString());
                }
            }
        }
    }

    [Fact]
    public void RegistryKey_TextsMadeOnce_NeitherChangeEqualityNorFollowACopy()
    {
        var used = new RegistryKey("Patient", "urn:pseudonym", "p1");
        _ = (used.ToString(), used.FullUrl, used.RequestUrl);
        var fresh = new RegistryKey("Patient", "urn:pseudonym", "p1");
        Assert.Equal(fresh, used);
        Assert.Equal(fresh.GetHashCode(), used.GetHashCode());
        Assert.Single(new HashSet<RegistryKey> { used, fresh });

        var other = used with { Value = "p2" };
        Assert.NotEqual(used, other);
        Assert.Equal("Patient|urn:pseudonym|p2", other.ToString());
        Assert.Equal(new RegistryKey("Patient", "urn:pseudonym", "p2").FullUrl, other.FullUrl);
        Assert.Equal("Patient?identifier=urn%3Apseudonym|p2", other.RequestUrl);

        var parsed = RegistryKey.Parse("Procedure|urn:procedure|x") with { Type = "Observation" };
        Assert.Equal("Observation|urn:procedure|x", parsed.ToString());
    }

    [Fact]
    public void ProvenanceBuilder_Entities_DistinctByTypeThenPseudonymStableAsOrderByWas()
    {
        SourceEntity[][] sources =
        [
            [new("Procedure", "b", "1"), new("Patient", "z", "1"), new("Procedure", "a", "2")],
            [new("Procedure", "b", "1"), new("Procedure", "b", "3"), new("Observation", "c", null), new("Procedure", "a", "1")],
            [new("Observation", "c", "7"), new("Observation", "c", null), new("Procedure", "B", "1"), new("Patient", "z", "1")],
        ];
        var study = new RegistryRecord(new RegistryKey("ResearchStudy", "urn:study", "s"), string.Empty, new ResearchStudy());
        var upserts = sources.Select((s, i) => new RegistryRecord(new RegistryKey("Procedure", "urn:procedure", "p" + i), "s1", new Procedure()) { Sources = s }).ToList();

        var provenance = (Provenance)ProvenanceBuilder.Build("hospital-a", "s1", ProvenanceBuilder.Reasons.SubjectAdded, study, upserts, [], DateTimeOffset.UnixEpoch, "f").Resource;

        var expected = upserts.SelectMany(r => r.Sources).Distinct().OrderBy(s => s.Type, StringComparer.Ordinal).ThenBy(s => s.Pseudonym, StringComparer.Ordinal)
            .Select(s => (s.Type, s.Pseudonym, s.VersionId)).ToList();
        var built = provenance.Entity.Select(e => (e.What!.Type!, e.What.Identifier!.Value!, ((FhirString?)e.Extension.SingleOrDefault()?.Value)?.Value)).ToList();
        Assert.Equal(expected, built);
    }
}
