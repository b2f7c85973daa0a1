using System.Globalization;
using Hl7.Fhir.Model;

namespace FhirBridge.Cli.Synthetic;

/// <summary>
/// Writes one synthetic patient: the Patient, one spine admission (sometimes a second one months later), its
/// Conditions, Procedures, ServiceRequests, Encounters and Observations, and records what the generator intended in the
/// truth lists. Everything is drawn from the one <see cref="Random"/> it is given, in a fixed order.
/// </summary>
internal sealed class PatientGenerator
{
    /// <summary>The earliest surgery day; surgery days are spread over <see cref="SurgeryDaySpan"/> days from here.</summary>
    internal static readonly DateOnly FirstSurgeryDay = new(2021, 1, 4);

    /// <summary>First surgery days run to late 2024; second admissions and their follow-up end before 2026.</summary>
    private const int SurgeryDaySpan = 1400;
    private const string Cohort_Degenerative = "degenerative";
    private const string Cohort_Deformity = "deformity";
    private const string Cohort_Tumor = "tumor";
    private const string Cohort_Fracture = "fracture";
    private const string Cohort_Unclassified = "unclassified";

    private static readonly TimeSpan LocalOffset = TimeSpan.FromHours(8);

    private static readonly string[] FamilyNames =
    [
        "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
        "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo",
    ];

    private static readonly string[] GivenSyllables =
    [
        "Wei", "Fang", "Min", "Jing", "Qiang", "Lei", "Jun", "Yan", "Hui", "Xin",
        "Yu", "Ting", "Hao", "Jie", "Mei", "Ning", "Bo", "Lan", "Tao", "Rui",
    ];

    private static readonly string[] Streets =
    [
        "Zhongshan", "Renmin", "Jiefang", "Heping", "Xinhua", "Huaihai", "Changan", "Jianguo", "Dongfeng", "Qingnian",
    ];

    private static readonly (string City, string District)[] Cities =
    [
        ("Beijing", "Haidian"), ("Beijing", "Chaoyang"), ("Shanghai", "Xuhui"), ("Guangzhou", "Tianhe"),
        ("Shenzhen", "Futian"), ("Chengdu", "Wuhou"), ("Wuhan", "Wuchang"), ("Hangzhou", "Xihu"),
        ("Nanjing", "Gulou"), ("Tianjin", "Nankai"),
    ];

    private readonly Random _rng;
    private readonly Action<Resource> _write;
    private readonly List<SyntheticIndexOperation> _indexTruth;
    private readonly List<SyntheticRefusedIndex> _refusedTruth;
    private readonly List<Resource> _deferred = [];
    private readonly int _patientNumber;
    private readonly string _number;
    private readonly string _patientId;
    private int _encounterSeq;
    private int _conditionSeq;
    private int _procedureSeq;
    private int _observationSeq;
    private int _requestSeq;
    private DateOnly _birthDate;
    private bool _female;
    private bool _diabetic;

    public PatientGenerator(
        int patientNumber,
        Random rng,
        Action<Resource> write,
        List<SyntheticIndexOperation> indexTruth,
        List<SyntheticRefusedIndex> refusedTruth)
    {
        _patientNumber = patientNumber;
        _rng = rng;
        _write = write;
        _indexTruth = indexTruth;
        _refusedTruth = refusedTruth;
        _number = patientNumber.ToString("D6", CultureInfo.InvariantCulture);
        _patientId = "p" + _number;
    }

    private enum AdmissionKind
    {
        Index,
        RefusedWard,
        RefusedNeurosurgery,
        RefusedAge,
    }

    private enum EventKind
    {
        CountedReturn,
        WardProcedure,
        StagedOperation,
        OtherDepartment,
        UnrelatedCondition,
        OutsideWindow,
    }

    private enum TheatreEvidence
    {
        ProcedureLocation,
        EncounterLocation,
        CodeOnly,
    }

    public void Generate()
    {
        var firstDay = FirstSurgeryDay.AddDays(_rng.Next(SurgeryDaySpan));
        _female = _rng.Next(100) < 52;
        var band = _rng.Next(1000);
        var age = band < 10 ? Between(12, 17) : band < 20 ? Between(81, 90) : AdultAge();
        _birthDate = firstDay.AddYears(-age).AddDays(-_rng.Next(365));
        if (_birthDate is { Month: 2, Day: 29 })
        {
            // Engines disagree on when a 29 February birthday falls in a common year; keep the truth unambiguous.
            _birthDate = _birthDate.AddDays(-1);
        }

        _diabetic = Chance(0.12);
        var secondAdmission = Chance(0.05);
        WritePatient(firstDay);
        var lastDay = Admission(firstDay);
        if (secondAdmission)
        {
            Admission(lastDay.AddDays(Between(90, 300)));
        }

        // Current versions of Procedures that were also written in an older version: after the older line.
        foreach (var resource in _deferred)
        {
            _write(resource);
        }
    }

    private int AdultAge() =>
        Chance(0.08) ? Between(18, 30) : 25 + ((_rng.Next(56) + _rng.Next(56) + _rng.Next(56)) / 3);

    // ------------------------------------------------------------------ Patient

    private void WritePatient(DateOnly firstDay)
    {
        var family = FamilyNames[_rng.Next(FamilyNames.Length)];
        var given = GivenSyllables[_rng.Next(GivenSyllables.Length)]
            + GivenSyllables[_rng.Next(GivenSyllables.Length)].ToLowerInvariant();
        var (city, district) = Cities[_rng.Next(Cities.Length)];
        var mrn = "H" + (10_000_000 + (_patientNumber * 97) + _rng.Next(97)).ToString(CultureInfo.InvariantCulture);
        var phone = string.Create(
            CultureInfo.InvariantCulture,
            $"+86 13{_rng.Next(10)} {_rng.Next(10_000):D4} {_rng.Next(10_000):D4}");
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{Between(1, 999)} {Streets[_rng.Next(Streets.Length)]} Road, Building {Between(1, 30)}, Room {Between(101, 2508)}");
        var patient = new Patient
        {
            Id = _patientId,
            Meta = NewMeta("1", At(firstDay.AddDays(-Between(3, 30)), Between(480, 1020))),
            Identifier =
            [
                new Identifier(SyntheticCodes.MrnSystem, mrn)
                {
                    Use = Identifier.IdentifierUse.Usual,
                    Type = Concept(SyntheticCodes.IdentifierType, "MR", "Medical record number"),
                },
            ],
            Active = true,
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = family, Given = [given] }],
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, phone)],
            Gender = _female ? AdministrativeGender.Female : AdministrativeGender.Male,
            BirthDate = _birthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Address =
            [
                new Address
                {
                    Use = Address.AddressUse.Home,
                    Line = [line],
                    City = city,
                    District = district,
                    PostalCode = Between(100_000, 850_000).ToString(CultureInfo.InvariantCulture),
                    Country = "CN",
                },
            ],
        };
        _write(patient);
    }

    // ------------------------------------------------------------------ Admission

    /// <summary>Writes one spine admission and everything around it; returns the last discharge day.</summary>
    private DateOnly Admission(DateOnly surgeryDay)
    {
        var age = CompletedYears(_birthDate, surgeryDay);
        AdmissionKind kind;
        if (age is < 18 or > 80)
        {
            kind = AdmissionKind.RefusedAge;
        }
        else
        {
            var roll = _rng.Next(1000);
            kind = roll < 10 ? AdmissionKind.RefusedWard : roll < 20 ? AdmissionKind.RefusedNeurosurgery : AdmissionKind.Index;
        }

        var (cohort, diagnosis) = DrawCohort(kind, age);
        var operation = DrawOperation(kind, cohort);

        // Later operations are decided first: a same-day return needs an early index start.
        var events = kind == AdmissionKind.Index ? DrawEvents(cohort) : [];
        var sameDayReturn = events.Exists(e => e.Day == 0);

        var duration = OperationMinutes(operation, cohort);
        int startMinute;
        if (sameDayReturn)
        {
            startMinute = Between(450, 570);
            duration = Math.Min(duration, 240);
        }
        else if (string.Equals(cohort, Cohort_Fracture, StringComparison.Ordinal) && Chance(0.3))
        {
            startMinute = Between(480, 1320);
        }
        else
        {
            startMinute = Between(450, 840);
        }

        var indexStart = At(surgeryDay, startMinute);
        var indexEnd = indexStart.AddMinutes(duration);
        var indexHasEnd = Chance(0.85);

        DateTime admit;
        if (string.Equals(cohort, Cohort_Fracture, StringComparison.Ordinal) && Chance(0.5))
        {
            admit = indexStart.AddMinutes(-Between(180, 600));
        }
        else
        {
            admit = At(surgeryDay.AddDays(-Between(1, 3)), Between(480, 1080));
        }

        var indexEncounter = new EncounterPlan(
            NextEncounterId(),
            admit,
            At(surgeryDay.AddDays(LengthOfStay(operation, cohort)), Between(540, 720)),
            kind == AdmissionKind.RefusedNeurosurgery ? SyntheticCodes.OrgNeurosurgery : SyntheticCodes.OrgOrtho,
            WardId());
        var encounters = new List<EncounterPlan> { indexEncounter };

        // Conditions of the index admission.
        var cohortCondition = NewCondition(diagnosis, indexEncounter, admit.AddMinutes(Between(20, 120)));
        string? secondary = null;
        if (!string.Equals(cohort, Cohort_Unclassified, StringComparison.Ordinal) && Chance(0.05))
        {
            // Another spine diagnosis of a different cohort, ranked 2 but listed first: rank order must win.
            secondary = NewCondition(OtherCohortDiagnosis(cohort), indexEncounter, admit.AddMinutes(Between(20, 120)));
            indexEncounter.Diagnoses.Add((secondary, 2));
        }

        indexEncounter.Diagnoses.Add((cohortCondition, 1));
        if (_diabetic || Chance(0.3))
        {
            var comorbidity = _diabetic ? SyntheticCodes.Comorbidities[1] : SyntheticCodes.Comorbidities[0];
            var comorbidityId = NewCondition(comorbidity, indexEncounter, admit.AddMinutes(Between(20, 120)));
            indexEncounter.Diagnoses.Add((comorbidityId, Chance(0.5) ? (secondary is null ? 2 : 3) : null));
        }

        // The index operation: principal Procedure and its co-procedures.
        var principalId = NextProcedureId();
        var principalCoding = OperationCoding(operation);
        var principal = NewProcedure(principalId, indexEncounter, principalCoding, indexStart, indexHasEnd ? indexEnd : null, theatre: kind != AdmissionKind.RefusedWard);
        var department = kind == AdmissionKind.RefusedNeurosurgery ? SyntheticCodes.OrgNeurosurgery : SyntheticCodes.OrgOrtho;
        SetPerformer(principal, department, indexEncounter, omitChance: 0.2);
        TheatreEvidence evidence;
        if (kind == AdmissionKind.RefusedWard)
        {
            evidence = TheatreEvidence.CodeOnly;
            principal.Location = Reference("Location", indexEncounter.Ward);
        }
        else
        {
            evidence = DrawEvidence(0.80, 0.15);
            PlaceInTheatre(principal, indexEncounter, indexStart, indexHasEnd ? indexEnd : null, evidence);
        }

        var reasonRoll = _rng.Next(100);
        if (reasonRoll < 70)
        {
            principal.ReasonReference.Add(Reference("Condition", cohortCondition));
        }
        else if (reasonRoll < 85)
        {
            principal.ReasonCode.Add(Icd10Concept(diagnosis));
        }

        EmitProcedure(principal, operation, indexEnd, withdrawChance: 0);
        if (kind != AdmissionKind.RefusedWard)
        {
            CoProcedures(principal, principalId, operation, cohort, indexEncounter, indexStart, indexEnd, indexHasEnd, evidence);
        }

        // Later operations.
        var counted = new List<(DateTime Start, string Id)>();
        var excluded = new List<(DateTime Start, SyntheticExcludedCandidate Candidate)>();
        var outside = new List<string>();
        var withdrawn = new List<string>();
        if (events.Count > 0)
        {
            ScheduleEvents(events, surgeryDay, indexStart, duration, encounters);
            foreach (var plan in events)
            {
                var (id, isWithdrawn) = WriteEvent(plan, cohort, cohortCondition, indexStart, indexEncounter, operation);
                if (isWithdrawn)
                {
                    withdrawn.Add(id);
                    continue;
                }

                switch (plan.Kind)
                {
                    case EventKind.CountedReturn:
                        counted.Add((plan.Start, id));
                        break;
                    case EventKind.OutsideWindow:
                        outside.Add(id);
                        break;
                    default:
                        excluded.Add((plan.Start, new SyntheticExcludedCandidate(id, ExclusionReason(plan.Kind))));
                        break;
                }
            }
        }

        foreach (var encounter in encounters)
        {
            WriteEncounter(encounter);
        }

        Observations(indexEncounter, surgeryDay, indexStart, encounters);

        var startText = Stamp(indexStart);
        switch (kind)
        {
            case AdmissionKind.Index:
                _indexTruth.Add(new SyntheticIndexOperation(
                    _patientId,
                    principalId,
                    indexEncounter.Id,
                    startText,
                    cohort,
                    [.. counted.OrderBy(c => c.Start).Select(c => c.Id)],
                    [.. excluded.OrderBy(c => c.Start).Select(c => c.Candidate)],
                    outside,
                    withdrawn));
                break;
            case AdmissionKind.RefusedWard:
                _refusedTruth.Add(new SyntheticRefusedIndex(_patientId, principalId, indexEncounter.Id, cohort, "not-in-theatre"));
                break;
            case AdmissionKind.RefusedNeurosurgery:
                _refusedTruth.Add(new SyntheticRefusedIndex(_patientId, principalId, indexEncounter.Id, cohort, "other-department"));
                break;
            default:
                _refusedTruth.Add(new SyntheticRefusedIndex(_patientId, principalId, indexEncounter.Id, cohort, "age-out-of-range"));
                break;
        }

        var last = encounters.Max(e => e.Discharge);
        return DateOnly.FromDateTime(last);
    }

    private static string ExclusionReason(EventKind kind) => kind switch
    {
        EventKind.WardProcedure => "not-in-theatre",
        EventKind.OtherDepartment => "other-department",
        EventKind.StagedOperation => "planned",
        EventKind.UnrelatedCondition => "unrelated-condition",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an excluded candidate."),
    };

    private (string Cohort, SyntheticCode Diagnosis) DrawCohort(AdmissionKind kind, int age)
    {
        if (kind == AdmissionKind.RefusedWard)
        {
            // Vertebroplasty on the ward: osteoporotic fractures and myeloma.
            if (Chance(0.7))
            {
                return (Cohort_Fracture, _female && age >= 50 ? SyntheticCodes.Fracture[2] : SyntheticCodes.Fracture[0]);
            }

            return (Cohort_Tumor, Chance(0.5) ? SyntheticCodes.Tumor[3] : SyntheticCodes.Tumor[0]);
        }

        if (_rng.Next(1000) < 20)
        {
            return (Cohort_Unclassified, SyntheticCodes.Unclassified[_rng.Next(SyntheticCodes.Unclassified.Length)]);
        }

        var roll = _rng.Next(100);
        if (roll < 60)
        {
            return (Cohort_Degenerative, Weighted(SyntheticCodes.Degenerative, SyntheticCodes.DegenerativeWeights));
        }

        if (roll < 72)
        {
            var code = Weighted(SyntheticCodes.Deformity, SyntheticCodes.DeformityWeights);
            if (ReferenceEquals(code, SyntheticCodes.Deformity[0]) && age > 30)
            {
                code = SyntheticCodes.Deformity[1];
            }

            return (Cohort_Deformity, code);
        }

        if (roll < 85)
        {
            return (Cohort_Tumor, Weighted(SyntheticCodes.Tumor, SyntheticCodes.TumorWeights));
        }

        var fracture = Weighted(SyntheticCodes.Fracture, SyntheticCodes.FractureWeights);
        if (ReferenceEquals(fracture, SyntheticCodes.Fracture[2]) && !(_female && age >= 50))
        {
            fracture = SyntheticCodes.Fracture[0];
        }

        return (Cohort_Fracture, fracture);
    }

    private SyntheticCode OtherCohortDiagnosis(string cohort) => cohort switch
    {
        Cohort_Degenerative => SyntheticCodes.Deformity[2],
        Cohort_Deformity => SyntheticCodes.Degenerative[1],
        Cohort_Tumor => Chance(0.5) ? SyntheticCodes.Degenerative[1] : SyntheticCodes.Fracture[2],
        _ => SyntheticCodes.Degenerative[2],
    };

    private SyntheticCode DrawOperation(AdmissionKind kind, string cohort)
    {
        if (kind == AdmissionKind.RefusedWard)
        {
            return Chance(0.6) ? SyntheticCodes.Vertebroplasty : SyntheticCodes.VertebralAugmentation;
        }

        if (kind == AdmissionKind.RefusedNeurosurgery)
        {
            return SyntheticCodes.NeurosurgeryOperations[_rng.Next(SyntheticCodes.NeurosurgeryOperations.Length)];
        }

        return cohort switch
        {
            Cohort_Degenerative => Weighted(SyntheticCodes.DegenerativeOperations, SyntheticCodes.DegenerativeOperationWeights),
            Cohort_Deformity => Weighted(SyntheticCodes.DeformityOperations, SyntheticCodes.DeformityOperationWeights),
            Cohort_Tumor => Weighted(SyntheticCodes.TumorOperations, SyntheticCodes.TumorOperationWeights),
            Cohort_Fracture => Weighted(SyntheticCodes.FractureOperations, SyntheticCodes.FractureOperationWeights),
            _ => SyntheticCodes.UnclassifiedOperations[_rng.Next(SyntheticCodes.UnclassifiedOperations.Length)],
        };
    }

    private int OperationMinutes(SyntheticCode operation, string cohort)
    {
        if (IsFusion(operation))
        {
            return string.Equals(cohort, Cohort_Deformity, StringComparison.Ordinal) ? Between(200, 300) : Between(150, 280);
        }

        return operation.Code switch
        {
            "80.51" => Between(60, 120),
            "81.65" or "81.66" => Between(60, 100),
            "03.4" => Between(120, 240),
            _ => Between(90, 180),
        };
    }

    private int LengthOfStay(SyntheticCode operation, string cohort)
    {
        if (operation.Code is "81.65" or "81.66")
        {
            return Between(1, 3);
        }

        var days = operation.Code is "80.51" or "03.09" ? Between(3, 7) : Between(5, 12);
        if (cohort is Cohort_Deformity or Cohort_Tumor)
        {
            days += Between(2, 4);
        }

        return days;
    }

    private static bool IsFusion(SyntheticCode code) => code.Code.StartsWith("81.0", StringComparison.Ordinal);

    private Coding OperationCoding(SyntheticCode operation)
    {
        if (IsFusion(operation) && Chance(0.08))
        {
            return new Coding(SyntheticCodes.Snomed, SyntheticCodes.SpinalFusion.Code, SyntheticCodes.SpinalFusion.Display);
        }

        return Icd9Coding(operation);
    }

    // ------------------------------------------------------------------ Index co-procedures

    private void CoProcedures(
        Procedure principal,
        string principalId,
        SyntheticCode operation,
        string cohort,
        EncounterPlan encounter,
        DateTime start,
        DateTime end,
        bool hasEnd,
        TheatreEvidence evidence)
    {
        var codes = new List<SyntheticCode>(4);
        var deformity = string.Equals(cohort, Cohort_Deformity, StringComparison.Ordinal);
        if (IsFusion(operation))
        {
            if (Chance(0.85))
            {
                codes.Add(deformity
                    ? (Chance(0.6) ? SyntheticCodes.Fusion4To8 : SyntheticCodes.Fusion9OrMore)
                    : (Chance(0.75) ? SyntheticCodes.Fusion2To3 : SyntheticCodes.Fusion4To8));
            }

            var interbodyCandidate = operation.Code is "81.07" or "81.08" or "81.02";
            if (interbodyCandidate && Chance(0.55))
            {
                codes.Add(SyntheticCodes.InterbodyDevice);
            }

            if (!deformity && Chance(0.3))
            {
                codes.Add(SyntheticCodes.Decompression);
            }
            else if (interbodyCandidate && Chance(0.25))
            {
                codes.Add(SyntheticCodes.Discectomy);
            }

            if (Chance(0.05))
            {
                codes.Add(SyntheticCodes.OtherSpinalDevice);
            }
        }
        else if (string.Equals(operation.Code, "84.62", StringComparison.Ordinal) && Chance(0.5))
        {
            codes.Add(SyntheticCodes.Discectomy);
        }

        var duration = (int)(end - start).TotalMinutes;
        foreach (var code in codes)
        {
            var link = _rng.Next(100);
            DateTime coStart;
            var partOf = link < 35;
            if (link < 80)
            {
                coStart = partOf && hasEnd && Chance(0.4) ? start.AddMinutes(Between(10, duration - 10)) : start;
            }
            else if (hasEnd)
            {
                // Only inside the principal's performedPeriod.
                coStart = start.AddMinutes(Between(10, duration - 10));
            }
            else
            {
                // The principal records no end: same Encounter, within the 3 h session.
                coStart = start.AddMinutes(Between(20, 150));
            }

            if (coStart.Date != start.Date)
            {
                // An adjunct joins an operation of the same local day only: keep co-procedures on the index day.
                coStart = start;
            }

            DateTime? coEnd = hasEnd && Chance(0.5) ? Min(coStart.AddMinutes(Between(20, 90)), end) : null;
            var co = NewProcedure(NextProcedureId(), encounter, Icd9Coding(code), coStart, coEnd, theatre: true);
            if (principal.Category is not null)
            {
                co.Category = principal.Category;
            }

            if (partOf)
            {
                co.PartOf.Add(Reference("Procedure", principalId));
            }

            if (evidence == TheatreEvidence.ProcedureLocation && Chance(0.6))
            {
                co.Location = principal.Location;
            }

            if (principal.Performer.Count > 0 && Chance(0.5))
            {
                co.Performer.Add(principal.Performer[0]);
            }

            EmitProcedure(co, code, coEnd ?? coStart, withdrawChance: 0.003);
        }
    }

    // ------------------------------------------------------------------ Later operations

    private List<EventPlan> DrawEvents(string cohort)
    {
        var events = new List<EventPlan>();
        var used = new HashSet<int> { 0 };
        var returnRate = cohort switch
        {
            Cohort_Deformity => 0.015,
            Cohort_Tumor => 0.016,
            Cohort_Fracture => 0.009,
            Cohort_Degenerative => 0.006,
            _ => 0.008,
        };

        if (Chance(returnRate))
        {
            var roll = _rng.Next(100);
            int day;
            var lateEvening = false;
            if (roll < 8)
            {
                day = 0;
            }
            else if (roll < 16)
            {
                day = 30;
                lateEvening = true;
            }
            else if (roll < 55)
            {
                day = Between(1, 7);
            }
            else if (roll < 85)
            {
                day = Between(8, 20);
            }
            else
            {
                day = Between(21, 29);
            }

            used.Add(day);
            events.Add(new EventPlan(EventKind.CountedReturn, day) { LateEvening = lateEvening });
            if (day is > 0 and < 26 && Chance(0.12))
            {
                AddEvent(events, used, EventKind.CountedReturn, Between(day + 2, 30), day + 2, 30);
            }
        }

        if (Chance(0.03))
        {
            AddEvent(events, used, EventKind.WardProcedure, Between(1, 12), 1, 30);
        }

        var stagedRate = cohort switch
        {
            Cohort_Deformity => 0.05,
            Cohort_Tumor => 0.01,
            _ => 0.0,
        };
        if (stagedRate > 0 && Chance(stagedRate))
        {
            AddEvent(events, used, EventKind.StagedOperation, Between(5, 21), 3, 28);
        }

        if (Chance(0.005))
        {
            AddEvent(events, used, EventKind.OtherDepartment, Between(1, 30), 1, 30);
        }

        if (Chance(0.004))
        {
            AddEvent(events, used, EventKind.UnrelatedCondition, Between(2, 30), 1, 30);
        }

        if (Chance(0.005))
        {
            // Day 31 early in the morning (+08:00) is still day 30 in UTC: outside the window all the same.
            var early = Chance(0.35);
            var added = AddEvent(events, used, EventKind.OutsideWindow, early ? 31 : Between(31, 40), 31, 40);
            if (added is not null)
            {
                added.EarlyMorning = early && added.Day == 31;
            }
        }

        return events;
    }

    private static EventPlan? AddEvent(List<EventPlan> events, HashSet<int> used, EventKind kind, int day, int min, int max)
    {
        // Every later operation gets a day of its own, so no two of them can be grouped into one operation.
        for (var delta = 0; delta <= max - min; delta++)
        {
            foreach (var candidate in (int[])[day + delta, day - delta])
            {
                if (candidate >= min && candidate <= max && used.Add(candidate))
                {
                    var plan = new EventPlan(kind, candidate);
                    events.Add(plan);
                    return plan;
                }
            }
        }

        return null;
    }

    private void ScheduleEvents(List<EventPlan> events, DateOnly surgeryDay, DateTime indexStart, int indexMinutes, List<EncounterPlan> encounters)
    {
        foreach (var plan in events)
        {
            var day = surgeryDay.AddDays(plan.Day);
            switch (plan.Kind)
            {
                case EventKind.CountedReturn when plan.Day == 0:
                    // Later the same day: after the index ends and after its 3 h session.
                    plan.Start = indexStart.AddMinutes(Math.Max(indexMinutes, 180) + Between(60, 240));
                    break;
                case EventKind.CountedReturn when plan.LateEvening:
                    plan.Start = At(day, Between((21 * 60) + 30, (23 * 60) + 45));
                    break;
                case EventKind.OutsideWindow when plan.EarlyMorning:
                    plan.Start = At(day, Between(20, 450));
                    break;
                case EventKind.WardProcedure:
                    plan.Start = At(day, Between(540, 1260));
                    break;
                case EventKind.StagedOperation:
                    plan.Start = At(day, Between(480, 720));
                    break;
                default:
                    plan.Start = At(day, Between(420, 1380));
                    break;
            }

            plan.Minutes = plan.Kind switch
            {
                EventKind.WardProcedure => Between(10, 30),
                EventKind.StagedOperation => Between(150, 300),
                EventKind.CountedReturn => Between(45, 180),
                _ => Between(60, 150),
            };
            plan.Department = plan.Kind == EventKind.OtherDepartment
                ? (Chance(0.6) ? SyntheticCodes.OrgNeurosurgery : SyntheticCodes.OrgGeneralSurgery)
                : SyntheticCodes.OrgOrtho;
        }

        events.Sort((a, b) => a.Start.CompareTo(b.Start));
        foreach (var plan in events)
        {
            var current = encounters[^1];
            var stayDays = plan.Kind switch
            {
                EventKind.WardProcedure => Between(1, 3),
                EventKind.OutsideWindow => Between(2, 6),
                _ => Between(3, 9),
            };
            if (plan.Start < current.Discharge.AddHours(2))
            {
                plan.Encounter = current;
                var discharge = At(DateOnly.FromDateTime(plan.Start).AddDays(stayDays), Between(540, 720));
                if (discharge > current.Discharge)
                {
                    current.Discharge = discharge;
                }

                continue;
            }

            // A readmission, under the department that operates.
            var admit = plan.Start.AddMinutes(-Between(120, 600));
            if (admit < current.Discharge.AddHours(1))
            {
                admit = current.Discharge.AddHours(1);
            }

            var readmission = new EncounterPlan(
                NextEncounterId(),
                admit,
                At(DateOnly.FromDateTime(plan.Start).AddDays(stayDays), Between(540, 720)),
                plan.Department,
                WardId());
            encounters.Add(readmission);
            plan.Encounter = readmission;
        }
    }

    private (string Id, bool Withdrawn) WriteEvent(
        EventPlan plan,
        string cohort,
        string cohortCondition,
        DateTime indexStart,
        EncounterPlan indexEncounter,
        SyntheticCode indexOperation)
    {
        var encounter = plan.Encounter ?? throw new InvalidOperationException("Event not scheduled.");
        var id = NextProcedureId();
        var start = plan.Start;
        var end = start.AddMinutes(plan.Minutes);
        var withdrawChance = plan.Kind == EventKind.OutsideWindow ? 0 : 0.03;
        Procedure procedure;
        SyntheticCode code;
        switch (plan.Kind)
        {
            case EventKind.CountedReturn:
            {
                var hasEnd = Chance(0.85);
                var complication = DrawComplication(indexOperation);
                code = ReturnOperation(complication, indexOperation);
                procedure = NewProcedure(id, encounter, Icd9Coding(code), start, hasEnd ? end : null, theatre: true);
                if (Chance(0.05))
                {
                    procedure.Status = EventStatus.Stopped;
                }

                SetPerformer(procedure, SyntheticCodes.OrgOrtho, encounter, omitChance: 0.2);
                PlaceInTheatre(procedure, encounter, start, hasEnd ? end : null, DrawEvidence(0.80, 0.15));
                if (complication is not null)
                {
                    AddReason(procedure, complication, encounter, start, referenceShare: 0.6);
                }

                if (Chance(0.15))
                {
                    // An order written after the index started is not a plan: still unplanned.
                    var authored = start.AddMinutes(-Between(45, 240));
                    if (authored <= indexStart)
                    {
                        authored = indexStart.AddMinutes(Between(1, 30));
                    }

                    var request = NewServiceRequest(RequestIntent.Order, code, encounter, authored, reason: null);
                    procedure.BasedOn.Add(Reference("ServiceRequest", request));
                }

                break;
            }

            case EventKind.WardProcedure:
            {
                code = SyntheticCodes.WardProcedures[_rng.Next(SyntheticCodes.WardProcedures.Length)];
                procedure = NewProcedure(id, encounter, Icd9Coding(code), start, Chance(0.3) ? end : null, theatre: false);
                if (Chance(0.8))
                {
                    procedure.Location = Reference("Location", encounter.Ward);
                }

                SetPerformer(procedure, SyntheticCodes.OrgOrtho, encounter, omitChance: 0.3);
                if (string.Equals(code.Code, "03.31", StringComparison.Ordinal))
                {
                    AddReason(procedure, SyntheticCodes.CsfLeak, encounter, start, referenceShare: 0.5);
                }
                else if (Chance(0.4))
                {
                    AddReason(procedure, Chance(0.5) ? SyntheticCodes.InfectionAfterProcedure : SyntheticCodes.WoundDisruption, encounter, start, referenceShare: 0.5);
                }

                break;
            }

            case EventKind.StagedOperation:
            {
                code = string.Equals(cohort, Cohort_Tumor, StringComparison.Ordinal)
                    ? (Chance(0.5) ? SyntheticCodes.DorsalFusionPosterior : SyntheticCodes.SpinalLesionExcision)
                    : (Chance(0.7) ? SyntheticCodes.DorsalFusionPosterior : SyntheticCodes.LumbarFusionAnteriorColumn);
                procedure = NewProcedure(id, encounter, Icd9Coding(code), start, end, theatre: true);
                SetPerformer(procedure, SyntheticCodes.OrgOrtho, encounter, omitChance: 0.2);
                PlaceInTheatre(procedure, encounter, start, end, DrawEvidence(0.80, 0.15));
                if (Chance(0.5))
                {
                    procedure.ReasonReference.Add(Reference("Condition", cohortCondition));
                }

                string request;
                if (Chance(0.5))
                {
                    // A plan: its intent alone makes it planned, whenever it was written.
                    var authored = Chance(0.5)
                        ? indexEncounter.Admit.AddMinutes(Between(30, 90))
                        : indexStart.AddDays(Between(1, 2)).AddMinutes(Between(30, 300));
                    request = NewServiceRequest(RequestIntent.Plan, code, indexEncounter, authored, cohortCondition);
                }
                else
                {
                    // An order written at or before the index start.
                    var authored = Chance(0.25) ? indexStart : Min(indexEncounter.Admit.AddMinutes(Between(30, 180)), indexStart);
                    request = NewServiceRequest(RequestIntent.Order, code, indexEncounter, authored, cohortCondition);
                }

                procedure.BasedOn.Add(Reference("ServiceRequest", request));
                break;
            }

            case EventKind.OtherDepartment:
            {
                SyntheticCode? reason;
                if (string.Equals(plan.Department, SyntheticCodes.OrgNeurosurgery, StringComparison.Ordinal))
                {
                    var csf = Chance(0.5);
                    code = csf ? SyntheticCodes.SpinalCordRepair : SyntheticCodes.Decompression;
                    reason = csf ? SyntheticCodes.CsfLeak : (Chance(0.5) ? SyntheticCodes.NeuroPostprocedural : null);
                }
                else
                {
                    var ileus = Chance(0.5);
                    code = ileus ? SyntheticCodes.ExploratoryLaparotomy : SyntheticCodes.ExcisionalDebridement;
                    reason = ileus ? SyntheticCodes.Ileus : SyntheticCodes.InfectionAfterProcedure;
                }

                procedure = NewProcedure(id, encounter, Icd9Coding(code), start, end, theatre: true);
                SetPerformer(procedure, plan.Department, encounter, omitChance: 0.3);
                PlaceInTheatre(procedure, encounter, start, end, DrawEvidence(0.85, 0.15));
                if (reason is not null)
                {
                    AddReason(procedure, reason, encounter, start, referenceShare: 0.5);
                }

                break;
            }

            case EventKind.UnrelatedCondition:
            {
                var appendix = Chance(0.5);
                code = appendix ? SyntheticCodes.Appendectomy : SyntheticCodes.FemurOrif;
                procedure = NewProcedure(id, encounter, Icd9Coding(code), start, end, theatre: true);

                // Recorded under the orthopaedic admission; an appendicectomy often names no performer.
                SetPerformer(procedure, SyntheticCodes.OrgOrtho, encounter, omitChance: appendix ? 0.5 : 0.1);
                PlaceInTheatre(procedure, encounter, start, end, DrawEvidence(0.85, 0.15));
                AddReason(procedure, appendix ? SyntheticCodes.Appendicitis : SyntheticCodes.HipFracture, encounter, start, referenceShare: 0.6);
                if (!appendix && Chance(0.2))
                {
                    AddReason(procedure, SyntheticCodes.Comorbidities[0], encounter, start, referenceShare: 0);
                }

                break;
            }

            default:
            {
                var roll = _rng.Next(3);
                code = roll == 0 ? SyntheticCodes.ExcisionalDebridement : roll == 1 ? SyntheticCodes.ImplantRemoval : SyntheticCodes.HaemorrhageControl;
                procedure = NewProcedure(id, encounter, Icd9Coding(code), start, end, theatre: true);
                SetPerformer(procedure, SyntheticCodes.OrgOrtho, encounter, omitChance: 0.2);
                PlaceInTheatre(procedure, encounter, start, end, DrawEvidence(0.85, 0.15));
                var reason = roll == 0 ? SyntheticCodes.InfectionAfterProcedure : roll == 1 ? SyntheticCodes.FixationInfection : SyntheticCodes.Haematoma;
                AddReason(procedure, reason, encounter, start, referenceShare: 0.5);
                break;
            }
        }

        var withdrawn = EmitProcedure(procedure, code, end, withdrawChance);
        return (id, withdrawn);
    }

    private SyntheticCode? DrawComplication(SyntheticCode indexOperation)
    {
        var roll = _rng.Next(100);
        if (roll < 30)
        {
            return null; // No reason recorded: presumed related.
        }

        if (roll < 36)
        {
            return SyntheticCodes.Fever; // A reason no mapping covers: presumed related.
        }

        var pick = _rng.Next(100);
        return pick switch
        {
            < 25 => SyntheticCodes.InfectionAfterProcedure,
            < 45 => SyntheticCodes.Haematoma,
            < 55 => SyntheticCodes.CsfLeak,
            < 65 => string.Equals(indexOperation.Code, "84.62", StringComparison.Ordinal) ? SyntheticCodes.JointProsthesisComplication : SyntheticCodes.FixationComplication,
            < 75 => SyntheticCodes.FixationInfection,
            < 88 => SyntheticCodes.NeuroPostprocedural,
            < 94 => SyntheticCodes.MusculoskeletalPostprocedural,
            _ => SyntheticCodes.WoundDisruption,
        };
    }

    private SyntheticCode ReturnOperation(SyntheticCode? complication, SyntheticCode indexOperation)
    {
        var lumbarFusion = indexOperation.Code is "81.07" or "81.08";
        return complication?.Code switch
        {
            "T81.4" or "T81.3" or "R50.9" => SyntheticCodes.ExcisionalDebridement,
            "T84.6" => Chance(0.7) ? SyntheticCodes.ExcisionalDebridement : SyntheticCodes.ImplantRemoval,
            "T81.0" => Chance(0.6) ? SyntheticCodes.Decompression : SyntheticCodes.HaemorrhageControl,
            "G96.0" => SyntheticCodes.SpinalCordRepair,
            "T84.2" or "T84.0" => lumbarFusion && Chance(0.6) ? SyntheticCodes.LumbarRefusionPosterior : SyntheticCodes.ImplantRemoval,
            "M96.8" => lumbarFusion ? SyntheticCodes.LumbarRefusionPosterior : SyntheticCodes.Decompression,
            "G97.8" => SyntheticCodes.Decompression,
            _ => _rng.Next(4) switch
            {
                0 => SyntheticCodes.ExcisionalDebridement,
                1 => SyntheticCodes.HaemorrhageControl,
                2 => lumbarFusion ? SyntheticCodes.LumbarRefusionPosterior : SyntheticCodes.ImplantRemoval,
                _ => SyntheticCodes.Decompression,
            },
        };
    }

    // ------------------------------------------------------------------ Resource helpers

    private Procedure NewProcedure(string id, EncounterPlan encounter, Coding code, DateTime start, DateTime? end, bool theatre)
    {
        var procedure = new Procedure
        {
            Id = id,
            Status = EventStatus.Completed,
            Code = new CodeableConcept { Coding = [code] },
            Subject = Reference("Patient", _patientId),
            Encounter = Reference("Encounter", encounter.Id),
            Performed = end is null
                ? new FhirDateTime(Stamp(start))
                : new Period { Start = Stamp(start), End = Stamp(end.Value) },
        };
        if (theatre && Chance(0.5))
        {
            procedure.Category = Concept(SyntheticCodes.Snomed, SyntheticCodes.SurgicalProcedure.Code, SyntheticCodes.SurgicalProcedure.Display);
        }

        return procedure;
    }

    private void SetPerformer(Procedure procedure, string organization, EncounterPlan encounter, double omitChance)
    {
        // Omitted only when the encounter's serviceProvider gives the same department.
        if (string.Equals(organization, encounter.ServiceProvider, StringComparison.Ordinal) && Chance(omitChance))
        {
            return;
        }

        var staffBase = organization switch
        {
            SyntheticCodes.OrgOrtho => 1000,
            SyntheticCodes.OrgNeurosurgery => 2000,
            _ => 3000,
        };
        procedure.Performer.Add(new Procedure.PerformerComponent
        {
            Actor = new ResourceReference
            {
                Type = "Practitioner",
                Identifier = new Identifier(SyntheticCodes.StaffSystem, "S" + (staffBase + Between(1, 40)).ToString(CultureInfo.InvariantCulture)),
            },
            OnBehalfOf = Reference("Organization", organization),
        });
    }

    private TheatreEvidence DrawEvidence(double procedureShare, double encounterShare)
    {
        var roll = _rng.NextDouble();
        return roll < procedureShare ? TheatreEvidence.ProcedureLocation
            : roll < procedureShare + encounterShare ? TheatreEvidence.EncounterLocation
            : TheatreEvidence.CodeOnly;
    }

    private void PlaceInTheatre(Procedure procedure, EncounterPlan encounter, DateTime start, DateTime? end, TheatreEvidence evidence)
    {
        var room = "loc-or-" + Between(1, SyntheticCodes.TheatreCount).ToString(CultureInfo.InvariantCulture);
        var listOnEncounter = evidence switch
        {
            TheatreEvidence.ProcedureLocation => Chance(0.85),
            TheatreEvidence.EncounterLocation => true,
            _ => false,
        };
        if (evidence == TheatreEvidence.ProcedureLocation)
        {
            procedure.Location = Reference("Location", room);
        }

        if (listOnEncounter)
        {
            var from = start.AddMinutes(-Between(20, 45));
            var to = (end ?? start.AddMinutes(90)).AddMinutes(Between(15, 40));
            encounter.Theatres.Add((room, from, to));
        }
    }

    private void AddReason(Procedure procedure, SyntheticCode code, EncounterPlan encounter, DateTime before, double referenceShare)
    {
        if (referenceShare > 0 && Chance(referenceShare))
        {
            var recorded = before.AddMinutes(-Between(60, 600));
            if (recorded < encounter.Admit)
            {
                recorded = encounter.Admit.AddMinutes(5);
            }

            var id = NewCondition(code, encounter, recorded);
            procedure.ReasonReference.Add(Reference("Condition", id));
            encounter.Diagnoses.Add((id, encounter.Diagnoses.Count == 0 ? 1 : null));
        }
        else
        {
            procedure.ReasonCode.Add(Icd10Concept(code));
        }
    }

    /// <summary>
    /// Writes a Procedure, sometimes in two versions: an older line with a wrong code then the corrected one, or a
    /// current version that withdraws it (<c>entered-in-error</c>). Returns whether it was withdrawn.
    /// </summary>
    private bool EmitProcedure(Procedure procedure, SyntheticCode code, DateTime recordedAfter, double withdrawChance)
    {
        var lastUpdated = recordedAfter.AddMinutes(Between(20, 240));
        if (withdrawChance > 0 && Chance(withdrawChance))
        {
            procedure.Meta = NewMeta("1", lastUpdated);
            _write(procedure);
            var withdrawn = (Procedure)procedure.DeepCopy();
            withdrawn.Status = EventStatus.EnteredInError;
            withdrawn.Meta = NewMeta("2", lastUpdated.AddDays(Between(1, 10)).AddMinutes(Between(0, 600)));
            _deferred.Add(withdrawn);
            return true;
        }

        if (Chance(0.01))
        {
            var older = (Procedure)procedure.DeepCopy();
            older.Code = new CodeableConcept { Coding = [Icd9Coding(WrongSibling(code), plain: true)] };
            older.Meta = NewMeta("1", lastUpdated);
            _write(older);
            procedure.Meta = NewMeta("2", lastUpdated.AddDays(Between(1, 20)).AddMinutes(Between(0, 600)));
            _deferred.Add(procedure);
            return false;
        }

        procedure.Meta = NewMeta("1", lastUpdated);
        _write(procedure);
        return false;
    }

    private SyntheticCode WrongSibling(SyntheticCode code)
    {
        foreach (var family in SyntheticCodes.CorrectionFamilies)
        {
            var at = Array.FindIndex(family, c => string.Equals(c.Code, code.Code, StringComparison.Ordinal));
            if (at >= 0)
            {
                return family[(at + 1 + _rng.Next(family.Length - 1)) % family.Length];
            }
        }

        throw new InvalidOperationException($"No correction family for {code.Code}.");
    }

    private string NewCondition(SyntheticCode code, EncounterPlan encounter, DateTime recorded)
    {
        var id = "cond-" + _number + "-" + (++_conditionSeq).ToString("D3", CultureInfo.InvariantCulture);
        _write(new Condition
        {
            Id = id,
            Meta = NewMeta("1", recorded.AddMinutes(Between(5, 120))),
            ClinicalStatus = Concept(SyntheticCodes.ConditionClinical, "active", "Active"),
            VerificationStatus = Concept(SyntheticCodes.ConditionVerification, "confirmed", "Confirmed"),
            Category = [Concept(SyntheticCodes.ConditionCategory, "encounter-diagnosis", "Encounter Diagnosis")],
            Code = Icd10Concept(code),
            Subject = Reference("Patient", _patientId),
            Encounter = Reference("Encounter", encounter.Id),
            RecordedDate = Stamp(recorded),
        });
        return id;
    }

    private string NewServiceRequest(RequestIntent intent, SyntheticCode code, EncounterPlan encounter, DateTime authored, string? reason)
    {
        var id = "sr-" + _number + "-" + (++_requestSeq).ToString("D3", CultureInfo.InvariantCulture);
        var request = new ServiceRequest
        {
            Id = id,
            Meta = NewMeta("1", authored.AddMinutes(Between(1, 30))),
            Status = RequestStatus.Completed,
            Intent = intent,
            Code = new CodeableConcept { Coding = [Icd9Coding(code)] },
            Subject = Reference("Patient", _patientId),
            Encounter = Reference("Encounter", encounter.Id),
            AuthoredOn = Stamp(authored),
        };
        if (reason is not null)
        {
            request.ReasonReference.Add(Reference("Condition", reason));
        }

        _write(request);
        return id;
    }

    private void WriteEncounter(EncounterPlan plan)
    {
        var encounter = new Encounter
        {
            Id = plan.Id,
            Meta = NewMeta("1", plan.Discharge.AddMinutes(Between(30, 240))),
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding(SyntheticCodes.ActCode, "IMP", "inpatient encounter"),
            Subject = Reference("Patient", _patientId),
            Period = new Period { Start = Stamp(plan.Admit), End = Stamp(plan.Discharge) },
            ServiceProvider = Reference("Organization", plan.ServiceProvider),
        };
        encounter.Location.Add(new Encounter.LocationComponent
        {
            Location = Reference("Location", plan.Ward),
            Status = Encounter.EncounterLocationStatus.Completed,
            Period = new Period { Start = Stamp(plan.Admit), End = Stamp(plan.Discharge) },
        });
        foreach (var (room, from, to) in plan.Theatres.OrderBy(t => t.Start))
        {
            encounter.Location.Add(new Encounter.LocationComponent
            {
                Location = Reference("Location", room),
                Status = Encounter.EncounterLocationStatus.Completed,
                Period = new Period { Start = Stamp(from), End = Stamp(to) },
            });
        }

        foreach (var (condition, rank) in plan.Diagnoses)
        {
            encounter.Diagnosis.Add(new Encounter.DiagnosisComponent
            {
                Condition = Reference("Condition", condition),
                Rank = rank,
            });
        }

        _write(encounter);
    }

    private void Observations(EncounterPlan index, DateOnly surgeryDay, DateTime indexStart, List<EncounterPlan> encounters)
    {
        var room = (int)(indexStart - index.Admit).TotalMinutes - 30;
        var preOp = index.Admit.AddMinutes(Between(Math.Min(30, room), Math.Min(180, room)));
        var dischargeDay = DateOnly.FromDateTime(index.Discharge);

        // A handful per admission: about six, pre-operative first.
        Observation(index, "vital-signs", "39156-5", "Body mass index (BMI) [Ratio]", Between(175, 380) / 10m, "kg/m2", preOp);
        if (Chance(0.7))
        {
            Observation(index, "vital-signs", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", Between(4, 9), "{score}", preOp);
        }

        Observation(index, "laboratory", "718-7", "Hemoglobin [Mass/volume] in Blood", _female ? Between(110, 150) : Between(125, 170), "g/L", preOp);
        Observation(index, "laboratory", "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", Between(5, 100) / 10m, "mg/L", preOp);
        if (Chance(0.6))
        {
            Observation(index, "laboratory", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", Between(320, 480) / 10m, "g/L", preOp);
        }

        if (_diabetic || Chance(0.25))
        {
            Observation(index, "laboratory", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", (_diabetic ? Between(62, 95) : Between(45, 60)) / 10m, "%", preOp);
        }

        if (Chance(0.25))
        {
            Observation(index, "laboratory", "4537-7", "Erythrocyte sedimentation rate by Westergren method", Between(2, 40), "mm/h", preOp);
        }

        if (surgeryDay.AddDays(1) <= dischargeDay && Chance(0.5))
        {
            Observation(index, "laboratory", "718-7", "Hemoglobin [Mass/volume] in Blood", Between(85, 135), "g/L", At(surgeryDay.AddDays(1), Between(360, 450)));
        }

        if (surgeryDay.AddDays(2) <= dischargeDay && Chance(0.5))
        {
            Observation(index, "vital-signs", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", Between(1, 6), "{score}", At(surgeryDay.AddDays(2), Between(480, 600)));
        }

        if (surgeryDay.AddDays(3) <= dischargeDay && Chance(0.5))
        {
            Observation(index, "laboratory", "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", Between(200, 1200) / 10m, "mg/L", At(surgeryDay.AddDays(3), Between(360, 450)));
        }

        for (var i = 1; i < encounters.Count; i++)
        {
            var readmission = encounters[i];
            var at = readmission.Admit.AddMinutes(Between(30, 90));
            Observation(readmission, "laboratory", "1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", Between(300, 2200) / 10m, "mg/L", at);
            Observation(readmission, "laboratory", "4537-7", "Erythrocyte sedimentation rate by Westergren method", Between(25, 90), "mm/h", at);
        }
    }

    private void Observation(EncounterPlan encounter, string category, string loinc, string display, decimal value, string unit, DateTime at)
    {
        var id = "obs-" + _number + "-" + (++_observationSeq).ToString("D3", CultureInfo.InvariantCulture);
        _write(new Observation
        {
            Id = id,
            Meta = NewMeta("1", at.AddMinutes(Between(30, 240))),
            Status = ObservationStatus.Final,
            Category =
            [
                string.Equals(category, "laboratory", StringComparison.Ordinal)
                    ? Concept(SyntheticCodes.ObservationCategory, "laboratory", "Laboratory")
                    : Concept(SyntheticCodes.ObservationCategory, "vital-signs", "Vital Signs"),
            ],
            Code = Concept(SyntheticCodes.Loinc, loinc, display),
            Subject = Reference("Patient", _patientId),
            Encounter = Reference("Encounter", encounter.Id),
            Effective = new FhirDateTime(Stamp(at)),
            Value = new Quantity { Value = value, Unit = unit, System = SyntheticCodes.Ucum, Code = unit },
        });
    }

    // ------------------------------------------------------------------ Codes as a hospital writes them

    /// <summary>ICD-9-CM as hospitals write it: mostly dotted, ~10% without the dot, ~10% a national-edition extension.</summary>
    private Coding Icd9Coding(SyntheticCode code, bool plain = false)
    {
        var value = code.Code;
        if (!plain)
        {
            var roll = _rng.Next(100);
            if (roll < 10)
            {
                value = value.Replace(".", string.Empty, StringComparison.Ordinal);
            }
            else if (roll < 20 && value.Length == 5)
            {
                value += "00x00" + Between(1, 4).ToString(CultureInfo.InvariantCulture);
            }
        }

        return new Coding(SyntheticCodes.Icd9Cm, value, code.Display);
    }

    /// <summary>ICD-10 as hospitals write it: mostly dotted, ~10% without the dot, a few with a national extension.</summary>
    private CodeableConcept Icd10Concept(SyntheticCode code)
    {
        var value = code.Code;
        var roll = _rng.Next(100);
        if (roll < 10)
        {
            value = value.Replace(".", string.Empty, StringComparison.Ordinal);
        }
        else if (roll < 13 && value.Length == 5)
        {
            value += "00x00" + Between(1, 3).ToString(CultureInfo.InvariantCulture);
        }

        return Concept(SyntheticCodes.Icd10, value, code.Display);
    }

    // ------------------------------------------------------------------ Small helpers

    private string NextEncounterId() => "enc-" + _number + "-" + (++_encounterSeq).ToString("D2", CultureInfo.InvariantCulture);

    // Fixed width, created in time order: at one instant the principal has the lowest id (ordinal).
    private string NextProcedureId() => "proc-" + _number + "-" + (++_procedureSeq).ToString("D3", CultureInfo.InvariantCulture);

    private string WardId() => "loc-ward-" + Between(1, SyntheticCodes.WardCount).ToString(CultureInfo.InvariantCulture);

    private bool Chance(double probability) => _rng.NextDouble() < probability;

    private int Between(int min, int maxInclusive) => _rng.Next(min, maxInclusive + 1);

    private T Weighted<T>(T[] items, int[] weights)
    {
        var roll = _rng.Next(weights.Sum());
        for (var i = 0; i < items.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
            {
                return items[i];
            }
        }

        return items[^1];
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static DateTime At(DateOnly day, int minuteOfDay) => day.ToDateTime(TimeOnly.MinValue).AddMinutes(minuteOfDay);

    /// <summary>A local wall-clock time written with the hospital's fixed +08:00 offset.</summary>
    internal static string Stamp(DateTime local) =>
        local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+08:00";

    internal static Meta NewMeta(string versionId, DateTime localLastUpdated) =>
        new() { VersionId = versionId, LastUpdated = new DateTimeOffset(localLastUpdated, LocalOffset) };

    private static ResourceReference Reference(string type, string id) => new(type + "/" + id);

    private static CodeableConcept Concept(string system, string code, string display) =>
        new() { Coding = [new Coding(system, code, display)] };

    internal static int CompletedYears(DateOnly birth, DateOnly on)
    {
        var years = on.Year - birth.Year;
        if (on.Month < birth.Month || (on.Month == birth.Month && on.Day < birth.Day))
        {
            years--;
        }

        return years;
    }

    private sealed class EncounterPlan(string id, DateTime admit, DateTime discharge, string serviceProvider, string ward)
    {
        public string Id { get; } = id;

        public DateTime Admit { get; } = admit;

        public DateTime Discharge { get; set; } = discharge;

        public string ServiceProvider { get; } = serviceProvider;

        public string Ward { get; } = ward;

        public List<(string Room, DateTime Start, DateTime End)> Theatres { get; } = [];

        public List<(string Condition, int? Rank)> Diagnoses { get; } = [];
    }

    private sealed class EventPlan(EventKind kind, int day)
    {
        public EventKind Kind { get; } = kind;

        public int Day { get; } = day;

        public bool LateEvening { get; init; }

        public bool EarlyMorning { get; set; }

        public DateTime Start { get; set; }

        public int Minutes { get; set; }

        public string Department { get; set; } = SyntheticCodes.OrgOrtho;

        public EncounterPlan? Encounter { get; set; }
    }
}
