using Recommender.Contracts;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;

namespace Recommender.Ranking.Tests;

/// <summary>Ranking's per-version cache of retrieved pins and their vectors (what lets searches skip carrying vectors).</summary>
public sealed class RetrievedPinsTests
{
    [Fact]
    public void Of_HitWithoutVectorNeverSeen_ConvertsPinAndHasNoVector()
    {
        var pins = new RetrievedPins();
        var hit = Hit("p1", version: 3);

        var (pin, vector) = pins.Of(hit);

        Assert.Equal(("p1", "t", 3L, "Lamp p1"), (pin.Id, pin.Tenant, pin.Version, pin.Title));
        Assert.Null(vector);
        Assert.Equal(["p1"], MissingVectors(pins, [hit]));
    }

    [Fact]
    public void MissingVectors_AfterRemember_OnlyUnseenOrNewerVersions()
    {
        var pins = new RetrievedPins();
        pins.Remember(Point("p1", version: 3, 0.6f, 0.8f));
        pins.Remember(Point("p2", version: 1, 1f, 0f));

        var missing = MissingVectors(pins, [Hit("p1", 3), Hit("p2", 2), Hit("p3", 1)]);
        var (pin, vector) = pins.Of(Hit("p1", 3));

        Assert.Equal(["p2", "p3"], missing);
        Assert.Equal("Lamp p1", pin.Title);
        Assert.Equal([0.6f, 0.8f], Assert.IsType<float[]>(vector));
        Assert.Same(pin, pins.Of(Hit("p1", 3)).Pin);
    }

    [Fact]
    public void Of_HitCarryingItsVector_KeepsItForLaterHitsWithout()
    {
        var pins = new RetrievedPins();
        var carrying = Hit("p1", 2);
        carrying.Dense.Add([0f, 1f]);

        var first = pins.Of(carrying);
        var later = pins.Of(Hit("p1", 2));

        Assert.Equal([0f, 1f], Assert.IsType<float[]>(first.Vector));
        Assert.Same(first.Vector, later.Vector);
        Assert.Empty(MissingVectors(pins, [Hit("p1", 2)]));
    }

    [Fact]
    public void Resolve_WithoutVectorsNeeded_ListsNothingMissing()
    {
        var pins = new RetrievedPins();

        var resolved = pins.Resolve([Hit("p1", 1), Hit("p2", 1)], needVectors: false, out var missing);

        Assert.Null(missing);
        Assert.Equal(["p1", "p2"], resolved.Select(r => r.Pin.Id));
    }

    /// <summary>An in-process hit carries the store's own pin version (<see cref="SharedPin"/>): its pin is the pin (not a
    /// conversion of the message), and its vector, once fetched, is kept on that version; a new version (a new instance)
    /// does not have it.</summary>
    [Fact]
    public void Of_InProcessHit_UsesTheStoredInstanceAndKeysItsVectorByIt()
    {
        var pins = new RetrievedPins();
        var stored = new PinData { Id = "p1", Tenant = "t", Title = "Stored lamp", Version = 3 };
        var shared = new SharedPin(stored);
        var hit = Hit("p1", 3);
        hit.StoredPin = shared;

        var before = pins.Resolve([hit], needVectors: true, out var missing);
        var point = Point("p1", 3, 0.6f, 0.8f);
        point.StoredPin = shared;
        pins.Remember(point);
        var (pin, vector) = pins.Of(hit);
        var newer = Hit("p1", 4);
        newer.StoredPin = new SharedPin(stored with { Version = 4 });

        Assert.Same(stored, before[0].Pin);
        Assert.Equal([0], missing);
        Assert.Same(stored, pin);
        Assert.Equal([0.6f, 0.8f], Assert.IsType<float[]>(vector));
        Assert.Same(vector, pins.Of(hit).Vector);
        Assert.Equal(["p1"], MissingVectors(pins, [newer]));
    }

    /// <summary>A result page shows a retrieved pin with the message its hit carried (in process, the vector store's own
    /// message for that instance): every search showing the pin shares it instead of converting the pin again.</summary>
    [Fact]
    public void Message_PinRetrievedTwice_IsTheFirstHitsMessageBothTimes()
    {
        var pins = new RetrievedPins();
        var first = Hit("p1", 3);
        var second = Hit("p1", 3);

        var a = new RankedEntry(Candidate(pins.Of(first)));
        var b = new RankedEntry(Candidate(pins.Of(second)));

        Assert.Same(first.Pin, a.Message);
        Assert.Same(first.Pin, b.Message);
    }

    /// <summary>Without a hit's message (a pin that did not come from a search), the message is made from the pin once and
    /// then reused; a candidate that did not come through <see cref="RetrievedPins"/> gets a message of its own.</summary>
    [Fact]
    public void Message_NoHitMessage_MadeFromThePinOnceAndReused()
    {
        var stored = new PinData { Id = "p1", Tenant = "t", Title = "Stored lamp", Brand = "Acme", Price = 12.5, Version = 3 };
        var retrieved = new RetrievedPin(stored);
        var plain = new RankedEntry(new Candidate(stored, 1, 0.5f, 0));

        var message = new RankedEntry(Candidate(retrieved)).Message;

        Assert.Equal(stored.ToProto(), message);
        Assert.Same(message, new RankedEntry(Candidate(retrieved)).Message);
        Assert.Equal(stored.ToProto(), plain.Message);
        Assert.NotSame(plain.Message, plain.Message);
    }

    private static Candidate Candidate(RetrievedPin retrieved) => new(retrieved.Pin, 1, 0.5f, 0) { Retrieved = retrieved };

    /// <summary>The ids <see cref="RetrievedPins.Resolve"/> lists as missing their vector.</summary>
    private static List<string> MissingVectors(RetrievedPins pins, List<ScoredPin> hits)
    {
        pins.Resolve(hits, needVectors: true, out var missing);
        return missing?.Select(i => hits[i].Pin.Id).ToList() ?? [];
    }

    private static Pin Proto(string id, long version) => new() { Id = id, Tenant = "t", Title = $"Lamp {id}", Brand = "Acme", Version = version };

    private static ScoredPin Hit(string id, long version) => new() { Pin = Proto(id, version), Score = 1, DenseScore = 0.5f };

    private static VectorPoint Point(string id, long version, params float[] dense)
    {
        var point = new VectorPoint { Pin = Proto(id, version) };
        point.Dense.Add(dense);
        return point;
    }
}
