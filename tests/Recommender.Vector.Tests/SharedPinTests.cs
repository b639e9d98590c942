using Recommender.Contracts;

namespace Recommender.Vector.Tests;

/// <summary>A stored version's shared state (<see cref="SharedPin"/>): one message and one reader entry per version,
/// whoever asks first and however many ask at once.</summary>
public sealed class SharedPinTests
{
    private static readonly PinData Lamp = new()
    {
        Id = "p1", Tenant = "t", Title = "Brass desk lamp", Brand = "Lumo", Price = 49.5, Version = 3,
        Attributes = new Dictionary<string, string> { ["finish"] = "brass" },
    };

    [Fact]
    public void Message_ManyReadersAtOnce_OneInstanceEqualToAConversion()
    {
        var shared = new SharedPin(Lamp);
        var seen = new Recommender.Contracts.Catalog.V1.Pin[64];

        Assert.False(shared.HasMessage);
        Parallel.For(0, seen.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => seen[i] = shared.Message);

        Assert.True(shared.HasMessage);
        Assert.All(seen, m => Assert.Same(seen[0], m));
        Assert.Equal(Lamp.ToProto(), seen[0]);
    }

    [Fact]
    public void Attached_ManyReadersAtOnce_AllGetTheFirstKeptInstance()
    {
        var shared = new SharedPin(Lamp);
        var made = 0;
        var seen = new Entry[64];

        Parallel.For(0, seen.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => seen[i] = shared.Attached(pin =>
        {
            Interlocked.Increment(ref made);
            return new Entry(pin);
        }));
        var later = shared.Attached<Entry>(_ => throw new InvalidOperationException("made again"));

        Assert.All(seen, e => Assert.Same(seen[0], e));
        Assert.Same(seen[0], later);
        Assert.Same(Lamp, later.Pin);
        Assert.InRange(made, 1, seen.Length);
    }

    [Fact]
    public void Attached_SecondReaderType_MadeOnEveryCallAndFirstKept()
    {
        var shared = new SharedPin(Lamp);
        var first = shared.Attached(pin => new Entry(pin));

        var other = shared.Attached(pin => new List<PinData> { pin });
        var otherAgain = shared.Attached(pin => new List<PinData> { pin });

        Assert.NotSame(other, otherAgain);
        Assert.Same(first, shared.Attached<Entry>(_ => throw new InvalidOperationException("made again")));
    }

    private sealed record Entry(PinData Pin);
}
