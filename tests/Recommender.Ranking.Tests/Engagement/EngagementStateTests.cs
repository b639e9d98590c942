using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Ranking.Engagement;

namespace Recommender.Ranking.Tests.Engagement;

public sealed class EngagementStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Affinity_ClicksOnOneBrand_ThatBrandIsOneOthersLowerAndOtherUsersNone()
    {
        var (state, _) = Create();
        for (var i = 0; i < 3; i++)
        {
            state.Apply(Event("u1", $"hp-{i}", EngagementType.Click, brand: "HP", category: ["Printers", "Toner"], price: 40));
        }

        state.Apply(Event("u1", "canon-1", EngagementType.Click, brand: "Canon", category: ["Printers", "Ink"], price: 300));

        var affinity = state.Affinity("t", "u1", null)!;
        Assert.Equal(1, affinity.Brand("hp"), 6);
        Assert.Equal(1 / 3.0, affinity.Brand("Canon"), 6);
        Assert.Equal(0, affinity.Brand("Brother"));
        Assert.Equal(1, affinity.Category(["Printers", "Toner"]), 6);
        Assert.Equal(0.5, affinity.Category(["Toner", "Other"]), 6); // a broader level of the path counts half
        Assert.Equal(1, affinity.PriceBand(35), 6); // same power-of-two band as 40
        Assert.Equal(0.5, affinity.PriceBand(70), 6); // the next band
        Assert.Null(state.Affinity("t", "u2", null));
        Assert.Null(state.Affinity("other-tenant", "u1", null));
    }

    [Fact]
    public void Affinity_UserAndSession_AreMergedByMaximum()
    {
        var (state, _) = Create();
        state.Apply(Event("u1", "p1", EngagementType.Click, brand: "HP"));
        state.Apply(Event(null, "p2", EngagementType.Click, brand: "Canon", session: "s1"));

        var merged = state.Affinity("t", "u1", "s1")!;

        Assert.Equal(1, merged.Brand("HP"), 6);
        Assert.Equal(1, merged.Brand("Canon"), 6);
        Assert.Equal(0, state.Affinity("t", "u1", null)!.Brand("Canon"));
    }

    [Fact]
    public void Affinity_OlderInterestDecays_NewerOneWinsAfterHalfLives()
    {
        var (state, clock) = Create();
        state.Apply(Event("u1", "p1", EngagementType.Purchase, brand: "HP")); // weight 5
        clock.Advance(TimeSpan.FromHours(72 * 3)); // three half-lives: 5 -> 0.625
        state.Apply(Event("u1", "p2", EngagementType.Click, brand: "Canon", at: clock.GetUtcNow()));

        var affinity = state.Affinity("t", "u1", null)!;

        Assert.Equal(1, affinity.Brand("Canon"), 6);
        Assert.Equal(0.625, affinity.Brand("HP"), 6);
    }

    [Fact]
    public void Pin_PopularityHalvesEveryHalfLife_AndCtrIsSmoothed()
    {
        var (state, clock) = Create();
        for (var i = 0; i < 100; i++)
        {
            state.Apply(Event("u1", "p1", EngagementType.Impression));
        }

        for (var i = 0; i < 10; i++)
        {
            state.Apply(Event("u1", "p1", EngagementType.Click));
        }

        var now = state.Pin("t", "p1");
        Assert.Equal((100 * 0.05) + 10, now.Popularity, 6);
        Assert.Equal((10 + (20 * 0.02)) / (100 + 20), now.Ctr, 6);

        clock.Advance(TimeSpan.FromHours(72));
        var later = state.Pin("t", "p1");
        Assert.Equal(now.Popularity / 2, later.Popularity, 6);
        Assert.Equal((5 + (20 * 0.02)) / (50 + 20), later.Ctr, 6); // the prior weighs more as evidence decays
        Assert.Equal(PinSignals.None, state.Pin("t", "unseen"));
    }

    [Fact]
    public void Pin_ClicksWithoutImpressions_CtrStaysAtMostOne()
    {
        var (state, _) = Create();
        for (var i = 0; i < 50; i++)
        {
            state.Apply(Event("u1", "p1", EngagementType.Click));
        }

        // A click implies an impression: 50 clicks on 50 (implied) impressions, pulled towards the prior.
        Assert.Equal((50 + (20 * 0.02)) / (50 + 20), state.Pin("t", "p1").Ctr, 6);
    }

    [Fact]
    public void TryReserve_RepeatedKey_CountedOnceAndDuplicateReported()
    {
        var (state, _) = Create();
        var e = Event("u1", "p1", EngagementType.Click);

        Assert.True(state.TryReserve("t", e.IdempotencyKey!));
        state.Apply(e);
        Assert.False(state.TryReserve("t", e.IdempotencyKey!));
        Assert.True(state.TryReserve("other", e.IdempotencyKey!)); // keys are per tenant

        Assert.Equal(new EngagementStats(1, 1, 1, 1, 0), state.StatsFor("t"));
    }

    [Fact]
    public void Apply_ReplayOfARepeatedLine_CountsItOnce()
    {
        var (state, _) = Create();
        var e = Event("u1", "p1", EngagementType.Click);

        Assert.True(state.Apply(e, replay: true));
        Assert.False(state.Apply(e, replay: true));

        Assert.Equal(1, state.StatsFor("t").EventsCounted);
        Assert.Equal(1, state.Pin("t", "p1").Popularity, 6);
    }

    [Fact]
    public void Dedupe_KeysOlderThanTheWindow_AreForgotten()
    {
        var (state, clock) = Create(o => o.DedupeWindowHours = 1);
        var old = Event("u1", "p1", EngagementType.Click);
        Assert.True(state.TryReserve("t", old.IdempotencyKey!));
        state.Apply(old);

        clock.Advance(TimeSpan.FromHours(2));
        state.Apply(Event("u1", "p2", EngagementType.Click, at: clock.GetUtcNow()));

        Assert.Equal(1, state.DedupeKeyCount);
        Assert.True(state.TryReserve("t", old.IdempotencyKey!));
    }

    [Fact]
    public void Caps_ManyUsersSessionsPinsAndKeys_CountsNeverExceedCaps()
    {
        var (state, clock) = Create(o =>
        {
            o.MaxPins = 500;
            o.MaxUsers = 300;
            o.MaxSessions = 200;
            o.MaxDedupeKeys = 1_000;
            o.TopKPerUser = 3;
        });
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var e = Event($"u{random.Next(5_000)}", $"p{random.Next(10_000)}", (EngagementType)random.Next(1, 6),
                brand: $"b{random.Next(100)}", category: [$"c{random.Next(50)}"], price: random.Next(1, 1_000),
                session: $"s{random.Next(5_000)}", at: clock.GetUtcNow());
            Assert.True(state.TryReserve("t", e.IdempotencyKey!));
            state.Apply(e);
            Assert.InRange(state.PinCount, 0, 500);
            Assert.InRange(state.UserCount, 0, 300);
            Assert.InRange(state.SessionCount, 0, 200);
            Assert.InRange(state.DedupeKeyCount, 0, 1_000);
        }

        var stats = state.StatsFor("t");
        Assert.Equal(20_000, stats.EventsCounted);
        Assert.Equal(state.PinCount, stats.PinsTracked);
        Assert.Equal(state.UserCount, stats.UsersTracked);
        Assert.Equal(state.SessionCount, stats.SessionsTracked);

        // Top-K: a user who touched 3+ brands keeps exactly 3 (the heaviest is at 1).
        var (brands, _) = state.TopInterests("t", "u1", null, 10);
        Assert.InRange(brands.Count, 0, 3);
    }

    [Fact]
    public void Caps_PinEviction_KeepsThePopularPins()
    {
        var (state, _) = Create(o => o.MaxPins = 100);
        state.Apply(Event("u1", "hit", EngagementType.Purchase));
        for (var i = 0; i < 1_000; i++)
        {
            state.Apply(Event("u1", $"p{i}", EngagementType.Impression));
        }

        Assert.True(state.Pin("t", "hit").Popularity > 0);
        Assert.InRange(state.PinCount, 1, 100);
    }

    [Fact]
    public void Pins_TwoTenantsSamePinId_EachReadsItsOwnAsPinDoes()
    {
        var (state, clock) = Create();
        state.Apply(Event("u1", "p1", EngagementType.Purchase, tenant: "a"));
        state.Apply(Event("u1", "p1", EngagementType.Click, tenant: "b"));
        clock.Advance(TimeSpan.FromHours(72));

        var a = state.Pins("a");
        var b = state.Pins("b");

        Assert.Equal(2.5, a.Of("p1").Popularity, 6); // 5, one half-life later
        Assert.Equal(0.5, b.Of("p1").Popularity, 6);
        Assert.Equal(state.Pin("a", "p1"), a.Of("p1"));
        Assert.Equal(state.Pin("b", "p1"), b.Of("p1"));
        Assert.Equal(PinSignals.None, a.Of("unseen"));
        Assert.Equal(PinSignals.None, state.Pins("c").Of("p1"));
        Assert.Equal(["p1"], state.PopularPins("b", 5));
        Assert.Empty(state.PopularPins("c", 5));
    }

    [Fact]
    public void Caps_PinEvictionAcrossTenants_CountsPerTenantStayExact()
    {
        var (state, _) = Create(o => o.MaxPins = 100);
        state.Apply(Event("u1", "hit", EngagementType.Purchase, tenant: "a"));
        for (var i = 0; i < 300; i++)
        {
            state.Apply(Event("u1", $"p{i}", EngagementType.Impression, tenant: i % 2 == 0 ? "a" : "b"));
        }

        Assert.InRange(state.PinCount, 1, 100);
        Assert.Equal(state.PinCount, state.StatsFor("a").PinsTracked + state.StatsFor("b").PinsTracked);
        Assert.True(state.Pins("a").Of("hit").Popularity > 0);
        Assert.Equal(PinSignals.None, state.Pins("b").Of("hit"));
    }

    [Fact]
    public void RecentPinsAndPopularPins_AreOrdered()
    {
        var (state, _) = Create(o => o.RecentPinsPerUser = 3);
        foreach (var pin in new[] { "a", "b", "c", "d", "b" })
        {
            state.Apply(Event("u1", pin, EngagementType.Click));
        }

        state.Apply(Event("u2", "d", EngagementType.Purchase));
        state.Apply(Event("u2", "x", EngagementType.Impression)); // impressions are not interest

        Assert.Equal(["b", "d", "c"], state.RecentPins("t", "u1", null));
        Assert.Equal(["d"], state.RecentPins("t", "u2", null));
        Assert.Equal("d", state.PopularPins("t", 2)[0]);
    }

    internal static (EngagementState State, ManualClock Clock) Create(Action<EngagementOptions>? configure = null)
    {
        var options = new EngagementOptions();
        configure?.Invoke(options);
        var clock = new ManualClock(T0);
        return (new EngagementState(Options.Create(options), clock), clock);
    }

    internal static EngagementRecord Event(
        string? user, string pin, EngagementType kind, string? brand = null, IReadOnlyList<string>? category = null,
        double? price = null, string? session = null, DateTimeOffset? at = null, string tenant = "t", string? queryId = null) => new()
        {
            Type = EngagementRecord.EngagementType,
            Tenant = tenant,
            UserId = user,
            SessionId = session,
            PinId = pin,
            Kind = EngagementRecord.KindName(kind),
            QueryId = queryId,
            Timestamp = at ?? T0,
            LoggedAt = at ?? T0,
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            Brand = brand,
            Category = category,
            Price = price,
        };
}

/// <summary>A clock the test moves by hand (decay is a function of time).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
