using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>
/// Groups one patient's Procedures into operations before anything else is judged (spec, "Operations").
/// A fusion recorded as 81.07 + 84.51 + 80.51 is one operation.
/// </summary>
internal static class OperationGrouper
{
    /// <summary>Groups the Procedures (already filtered to those that happened, with a start, as of the as-of time).</summary>
    public static List<Operation> Group(IReadOnlyList<ProcedureRecord> procedures, RuleScope scope)
    {
        var byKey = new Dictionary<ResourceKey, int>();
        for (var i = 0; i < procedures.Count; i++)
        {
            byKey[procedures[i].Ref.Key] = i;
        }

        var sets = new DisjointSets(procedures.Count);
        var linked = new bool[procedures.Count];

        // operations.part-of: a Procedure that is partOf another belongs to that one's operation.
        for (var i = 0; i < procedures.Count; i++)
        {
            foreach (var parent in procedures[i].PartOf)
            {
                if (byKey.TryGetValue(parent, out var j))
                {
                    sets.Union(i, j);
                    linked[i] = linked[j] = true;
                }
            }
        }

        // operations.adjunct: a "code also" item is never an operation of its own (placed after the others, below).
        bool IsAdjunct(int i) => !linked[i] && IsAdjunctCode(procedures[i], scope);

        var order = Enumerable.Range(0, procedures.Count)
            .OrderBy(i => scope.InstantOf(procedures[i].Start!))
            .ThenBy(i => procedures[i].Ref.Key.Id, StringComparer.Ordinal)
            .ToList();

        // The first Procedure of each operation formed so far, in order of formation.
        var firsts = new List<int>();
        foreach (var i in order.Where(i => !IsAdjunct(i)))
        {
            var joined = firsts.FindLastIndex(f => sets.Find(f) == sets.Find(i));
            if (joined >= 0)
            {
                continue; // already in an operation through partOf
            }

            var match = firsts.FindLastIndex(f => JoinsOperationOf(f, i, procedures, sets, scope));
            if (match >= 0)
            {
                sets.Union(firsts[match], i);
            }
            else
            {
                firsts.Add(i);
            }
        }

        // operations.adjunct: join the latest operation that started at or before it on the same local day.
        var ignored = new HashSet<int>();
        foreach (var i in order.Where(IsAdjunct))
        {
            var start = scope.InstantOf(procedures[i].Start!);
            var day = procedures[i].Start!.LocalDateIn(scope.OrderingZone);
            var host = firsts
                .Where(f => scope.InstantOf(procedures[f].Start!) <= start && procedures[f].Start!.LocalDateIn(scope.OrderingZone) == day)
                .Select(f => (int?)f)
                .LastOrDefault();
            if (host is { } h)
            {
                sets.Union(h, i);
            }
            else
            {
                ignored.Add(i);
                scope.Log.Add(new MappingLogEntry(procedures[i].Ref.ToString(), Decision.Excluded, Clause.Adjunct, "adjunct-without-operation")
                {
                    Codes = [.. procedures[i].Code.Codings.Select(c => c.ToString())],
                    Detail = "an adjunct (code also) procedure with no operation at or before it on the same local day; ignored",
                });
            }
        }

        return order
            .Where(i => !ignored.Contains(i))
            .GroupBy(sets.Find)
            .Select(g => Build([.. g.Select(i => procedures[i])], scope))
            .OrderBy(o => o.Start)
            .ThenBy(o => o.Key.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>True for an add-on code that is not itself an operation (a code that is also a spine, theatre or bedside procedure is one).</summary>
    public static bool IsAdjunctCode(ProcedureRecord procedure, RuleScope scope) =>
        procedure.Code.Has(Category.AdjunctProcedure)
        && !procedure.Code.Has(scope.Study.IndexCategory)
        && !procedure.Code.Has(Category.TheatreProcedure)
        && !procedure.Code.Has(Category.BedsideProcedure);

    private static bool JoinsOperationOf(int firstIndex, int nextIndex, IReadOnlyList<ProcedureRecord> procedures, DisjointSets sets, RuleScope scope)
    {
        var first = procedures[firstIndex];
        var next = procedures[nextIndex];
        var firstStart = scope.InstantOf(first.Start!);
        var nextStart = scope.InstantOf(next.Start!);

        // operations.same-instant: the same start as any Procedure already in the operation.
        var root = sets.Find(firstIndex);
        for (var j = 0; j < procedures.Count; j++)
        {
            if (j != nextIndex && sets.Find(j) == root && scope.InstantOf(procedures[j].Start!) == nextStart)
            {
                return true;
            }
        }

        // "The first one" of the two rules below is every Procedure of the operation that starts at its start, each
        // under the rule that fits it: when several start at that instant, the id that breaks ties for the principal
        // must not decide what else joins (a fusion with a performedPeriod and a partOf child at its very start, ordered
        // by opaque ids, once split a decompression during the fusion into an operation of its own). Each rule is
        // enough to join, so reading every first one joins whatever reading any one of them joined.
        for (var j = 0; j < procedures.Count; j++)
        {
            var one = procedures[j];
            if (sets.Find(j) != root || scope.InstantOf(one.Start!) != firstStart)
            {
                continue;
            }

            // operations.within-period: within the first one's performedPeriod (an end written as a date includes that date).
            if (one.End is { } end)
            {
                if (nextStart >= firstStart && nextStart <= scope.EndInstantOf(end))
                {
                    return true;
                }
            }

            // operations.session: the first one records no end; same Encounter (or both without one; a withdrawn
            // Encounter is none), within OperationSessionHours.
            else if (scope.EncounterKey(one.Encounter) == scope.EncounterKey(next.Encounter)
                && nextStart >= firstStart
                && nextStart - firstStart <= Duration.FromHours(scope.Study.OperationSessionHours))
            {
                return true;
            }
        }

        return false;
    }

    private static Operation Build(List<ProcedureRecord> procedures, RuleScope scope)
    {
        // The principal is the earliest Procedure, ties broken by id; an add-on code is never the principal (it is
        // "never an operation of its own", so its status, performer and encounter must not speak for the operation).
        var ordered = procedures
            .OrderBy(p => IsAdjunctCode(p, scope))
            .ThenBy(p => scope.InstantOf(p.Start!))
            .ThenBy(p => p.Ref.Key.Id, StringComparer.Ordinal)
            .ToList();
        var earliest = procedures.OrderBy(p => scope.InstantOf(p.Start!)).ThenBy(p => p.Ref.Key.Id, StringComparer.Ordinal).First();
        var start = scope.InstantOf(earliest.Start!);
        var ends = procedures.Where(p => p.End is not null).Select(p => scope.EndInstantOf(p.End!)).ToList();
        return new Operation
        {
            Principal = ordered[0],
            Procedures = ordered,
            Start = start,
            StartAsWritten = earliest.Start!,
            End = ends.Count > 0 ? ends.Max() : start,
        };
    }

    private sealed class DisjointSets(int count)
    {
        private readonly int[] _parent = Enumerable.Range(0, count).ToArray();

        public int Find(int i)
        {
            while (_parent[i] != i)
            {
                _parent[i] = _parent[_parent[i]];
                i = _parent[i];
            }

            return i;
        }

        public void Union(int a, int b) => _parent[Find(a)] = Find(b);
    }
}
