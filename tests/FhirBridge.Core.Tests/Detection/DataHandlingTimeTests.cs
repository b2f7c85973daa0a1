using FhirBridge.Detection;
using FhirBridge.Tests.Builders;

namespace FhirBridge.Tests.Detection;

/// <summary>
/// Spec, "Data handling: Time": local dates are taken in the configured zone, else at the offset written in the index
/// operation's own timestamp; every other timestamp is converted to that zone first; a date-only value is that local
/// date starting at 00:00. The window counts calendar days.
/// </summary>
public class DataHandlingTimeTests
{
    [Theory]
    [InlineData("2024-03-31T15:59:00Z", 30)] // 23:59 on 31 March in Shanghai
    [InlineData("2024-03-31T16:00:00Z", 31)] // 00:00 on 1 April in Shanghai
    [InlineData("2024-03-31T16:30:00Z", 31)]
    public void Time_UtcTimestampPastMidnightLocal_IsNextLocalDay(string returnStart, int day)
    {
        var run = new TimelineBuilder().SpineIndex().Return("ret", returnStart).Evaluate();

        if (day <= 30)
        {
            Assert.Equal(day, run.AssertCounted("op1", "ret").DaysAfterIndex);
        }
        else
        {
            run.AssertNotACandidate("op1", "ret");
        }
    }

    [Fact]
    public void Time_NoZoneConfigured_OtherTimestampsAreConvertedToTheIndexOffset()
    {
        // Written as 31 March at UTC, it is 1 April 01:30 at the index's +08:00: day 31.
        var run = new TimelineBuilder().SpineIndex().Return("ret", "2024-03-31T17:30:00+00:00").Evaluate(zone: null);

        run.AssertNotACandidate("op1", "ret");
    }

    [Fact]
    public void Time_NoZoneConfigured_IndexOffsetGivesTheIndexDate()
    {
        // 2024-03-01T20:00:00Z is 2 March in Shanghai, but with no zone configured the index's own offset (UTC) rules:
        // the index date is 1 March and a return on 1 April (UTC) is day 31.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01T20:00:00Z")
            .Return("ret", "2024-04-01T10:00:00Z")
            .Evaluate(zone: null);

        run.AssertNotACandidate("op1", "ret");
    }

    [Fact]
    public void Time_ConfiguredZone_OverridesTheIndexOffset()
    {
        // Same data as above with Asia/Shanghai configured: index on 2 March, return (18:00 on 1 April local) on day 30.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01T20:00:00Z")
            .Return("ret", "2024-04-01T10:00:00Z")
            .Evaluate(zone: TimelineBuilder.Shanghai);

        Assert.Equal(30, run.AssertCounted("op1", "ret").DaysAfterIndex);
        Assert.Equal("2024-03-02T04:00:00+08:00", run.SingleSubject.IndexStart);
    }

    [Fact]
    public void Time_DateOnlyIndex_IsThatLocalDateFromMidnight()
    {
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-01")
            .Return("sameDay", "2024-03-01T08:00:00+08:00")
            .Return("day30", "2024-03-31", p => p.InEncounter("e2"))
            .Evaluate();

        Assert.Equal(0, run.AssertCounted("op1", "sameDay").DaysAfterIndex);
        Assert.Equal(30, run.AssertCounted("op1", "day30").DaysAfterIndex);
    }

    [Fact]
    public void Time_DateOnlyReturnOnTheIndexDate_StartsAtMidnightSoBeforeTheIndex()
    {
        var run = new TimelineBuilder()
            .SpineIndex()
            .Return("ret", "2024-03-01")
            .Evaluate();

        run.AssertNotACandidate("op1", "ret");
    }

    [Fact]
    public void Time_DateOnlyReturnOnDay30_Counts()
    {
        var run = new TimelineBuilder().SpineIndex().Return("ret", "2024-03-31").Evaluate();

        Assert.Equal(30, run.AssertCounted("op1", "ret").DaysAfterIndex);
    }

    [Fact]
    public void Time_DateOnlyReturnWithNoZone_StartsAtMidnightAtTheIndexOffset()
    {
        // No zone is configured, so local dates (and a date-only value's 00:00) are at the index's own +08:00.
        // The first Procedure sent is written in UTC; that must not move 00:00 of the date-only return to 08:00 Shanghai,
        // which would put it after the 06:00 index start.
        var run = new TimelineBuilder()
            .Procedure("consult", p => p.At("2024-01-01T00:00:00Z").Icd9(Codes.UnmappedProcedure))
            .SpineIndex(start: "2024-03-01T06:00:00+08:00", more: p => p.InEncounter("e1"))
            .Return("ret", "2024-03-01", p => p.InEncounter("e2"))
            .Evaluate(zone: null);

        Assert.Equal(["op1"], run.SingleSubject.Index.Procedures.Select(p => p.Ref.Key.Id));
        run.AssertNotACandidate("op1", "ret");
    }

    [Theory]
    [InlineData("2024-04-09T23:59:00+02:00", true)] // day 30 across the 31 March change to CEST (a 23-hour day)
    [InlineData("2024-04-10T00:30:00+02:00", false)] // day 31, though less than 31 x 24 h after the index
    public void Time_ZoneWithDaylightSaving_CountsCalendarDays(string returnStart, bool counts)
    {
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-10T10:00:00+01:00")
            .Return("ret", returnStart)
            .Evaluate(zone: "Europe/Berlin");

        if (counts)
        {
            Assert.Equal(30, run.AssertCounted("op1", "ret").DaysAfterIndex);
        }
        else
        {
            run.AssertNotACandidate("op1", "ret");
        }
    }

    [Fact]
    public void Time_DaylightSavingWrittenInUtc_ConvertedWithTheSummerOffset()
    {
        // 2024-04-09T22:30:00Z is 10 April 00:30 CEST (day 31); at the winter offset it would still be 9 April.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-10T10:00:00+01:00")
            .Return("ret", "2024-04-09T22:30:00Z")
            .Evaluate(zone: "Europe/Berlin");

        run.AssertNotACandidate("op1", "ret");
    }

    [Fact]
    public void Time_NoZoneConfigured_IndexOffsetIsFixedAcrossDaylightSaving()
    {
        // With no zone the index's written +01:00 is used for every timestamp: 10 April 00:30 CEST is 9 April 23:30 there.
        var run = new TimelineBuilder()
            .SpineIndex(start: "2024-03-10T10:00:00+01:00")
            .Return("ret", "2024-04-10T00:30:00+02:00")
            .Evaluate(zone: null);

        Assert.Equal(30, run.AssertCounted("op1", "ret").DaysAfterIndex);
    }

    [Theory]
    [InlineData(null, Reason.AgeOutOfRange)] // at the index's own UTC offset the index date is 30 April: still 17
    [InlineData(TimelineBuilder.Shanghai, null)] // in Shanghai the index date is 1 May: the 18th birthday
    public void Time_AgeIsTakenOnTheLocalIndexDate(string? zone, string? refusal)
    {
        var run = new TimelineBuilder()
            .Born("2006-05-01")
            .SpineIndex(start: "2024-04-30T17:00:00Z")
            .Evaluate(zone: zone);

        if (refusal is null)
        {
            Assert.Single(run.Subjects);
        }
        else
        {
            run.AssertRefused("op1", refusal);
        }
    }
}
