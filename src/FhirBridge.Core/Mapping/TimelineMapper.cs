using FhirBridge.MappingLog;
using FhirBridge.Timeline;

namespace FhirBridge.Mapping;

/// <summary>
/// The MAP stage: annotates every code the rules read with the categories the ConceptMaps give it, and logs each
/// translation (mapped, prefix-match or unmapped) so registry admins see which local codes still need a mapping.
/// Pure and in-memory; one instance per run caches translations.
/// </summary>
public sealed class TimelineMapper(CategoryMaps maps)
{
    private readonly Dictionary<(string?, string, CodeUse), Translation> _cache = [];

    /// <summary>Maps the Locations and Organizations of a source (shared by its patients), logging each once.</summary>
    public (IReadOnlyDictionary<ResourceKey, LocationRecord> Locations, IReadOnlyDictionary<ResourceKey, OrganizationRecord> Organizations) MapShared(
        IEnumerable<LocationRecord> locations, IEnumerable<OrganizationRecord> organizations, ICollection<MappingLogEntry> log)
    {
        var mappedLocations = new Dictionary<ResourceKey, LocationRecord>();
        foreach (var l in locations)
        {
            mappedLocations[l.Ref.Key] = l with { Types = [.. l.Types.Select(t => Map(t, CodeUse.Other, l.Ref, log))] };
        }

        var mappedOrganizations = new Dictionary<ResourceKey, OrganizationRecord>();
        foreach (var o in organizations)
        {
            mappedOrganizations[o.Ref.Key] = o with { Types = [.. o.Types.Select(t => Map(t, CodeUse.Other, o.Ref, log))] };
        }

        return (mappedLocations, mappedOrganizations);
    }

    /// <summary>Maps the patient's own resources; shared ones must already be mapped (see <see cref="MapShared"/>).</summary>
    public PatientTimeline Map(PatientTimeline timeline, ICollection<MappingLogEntry> log)
    {
        var procedures = timeline.Procedures.Select(p => p with
        {
            Code = Map(p.Code, CodeUse.Procedure, p.Ref, log),
            Category = Map(p.Category, CodeUse.Other, p.Ref, log, logUnmapped: false),
            ReasonCodes = [.. p.ReasonCodes.Select(r => Map(r, CodeUse.Diagnosis, p.Ref, log))],
        }).ToList();

        var conditions = timeline.Conditions.Values.ToDictionary(c => c.Ref.Key, c => c with { Code = Map(c.Code, CodeUse.Diagnosis, c.Ref, log) });
        var encounters = timeline.Encounters.Values.ToDictionary(
            e => e.Ref.Key,
            e => e with { ServiceType = Map(e.ServiceType, CodeUse.Other, e.Ref, log) });

        // Observations are mapped only to find risk factors: a code that maps nowhere is an ordinary result, not a
        // gap in the mappings, so it is not logged as unmapped (it would bury the codes that do need a mapping).
        var observations = timeline.Observations.Select(o => o with { Code = Map(o.Code, CodeUse.Other, o.Ref, log, logUnmapped: false) }).ToList();

        return timeline with { Procedures = procedures, Conditions = conditions, Encounters = encounters, Observations = observations };
    }

    /// <summary>Translates one concept's codings and logs the outcome (one entry per concept).</summary>
    public CodedConcept Map(CodedConcept concept, CodeUse use, SourceRef source, ICollection<MappingLogEntry> log, bool logUnmapped = true)
    {
        if (concept.Codings.Count == 0)
        {
            return concept;
        }

        var translations = concept.Codings.Select(c => Translate(c, use)).ToList();
        var matches = translations.SelectMany(t => t.Matches).ToList();
        var codes = concept.Codings.Select(c => c.ToString()).ToList();
        if (matches.Count > 0)
        {
            var prefix = matches.FirstOrDefault(m => m.IsPrefixMatch);
            log.Add(new MappingLogEntry(
                source.ToString(),
                prefix is null ? Decision.Mapped : Decision.PrefixMatch,
                string.Join(" ", matches.Select(m => m.ConceptMap).Distinct()),
                string.Join(" ", matches.Select(m => m.Category).Distinct()))
            {
                Codes = codes,
                Prefix = prefix?.MatchedCode,
            });
        }
        else if (logUnmapped)
        {
            var ignored = translations.SelectMany(t => t.Ignored).ToList();
            log.Add(new MappingLogEntry(source.ToString(), Decision.Unmapped, "mappings", null)
            {
                Codes = codes,
                Detail = ignored.Count == 0
                    ? null
                    : "found only mappings whose equivalence does not count: " + string.Join("; ", ignored.Select(i => $"{i.MatchedCode} -> {i.Category} ({i.Equivalence}, {i.ConceptMap})")),
            });
        }

        return concept with { Matches = matches };
    }

    private Translation Translate(SourceCoding coding, CodeUse use)
    {
        var key = (coding.System, coding.Code, use);
        if (!_cache.TryGetValue(key, out var translation))
        {
            _cache[key] = translation = maps.Translate(coding, use);
        }

        return translation;
    }
}
