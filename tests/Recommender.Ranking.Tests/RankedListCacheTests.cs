using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;
using Recommender.Ranking.Tests.Engagement;

namespace Recommender.Ranking.Tests;

/// <summary>The ring of kept ranked lists that later pages are cut from.</summary>
public sealed class RankedListCacheTests
{
    private static readonly LinearRanker Model = new();

    [Fact]
    public void Add_OverCapacity_ReplacesTheOldest()
    {
        var cache = Cache(maxSnapshots: 2);

        cache.Add("a", List(1, 30), 30, Model, null);
        cache.Add("b", List(2, 30), 30, Model, null);
        cache.Add("c", List(3, 30), 30, Model, null);

        Assert.False(cache.TryGetPage("a", 0, 10, out _));
        Assert.True(cache.TryGetPage("b", 0, 10, out _));
        Assert.True(cache.TryGetPage("c", 0, 10, out _));
    }

    [Fact]
    public void TryGetPage_KeptList_CopiesThatPageOfIt()
    {
        var cache = Cache(maxSnapshots: 4);
        cache.Add("a", List(7, 30), 45, Model, null);

        Assert.True(cache.TryGetPage("a", 20, 20, out var page));

        Assert.Equal((20, 10, 30, 45), (page.Offset, page.Length, page.Count, page.TotalCandidates));
        Assert.Equal("a7-20", page[20].Pin.Id);
        Assert.Equal("a7-29", page[29].Pin.Id);
        Span<double> features = stackalloc double[RankingFeature.Count];
        page.Features(25, features);
        Assert.Equal(7 + 0.25, features[0], 6);
        Assert.False(cache.TryGetPage("a", 30, 20, out _));
    }

    /// <summary>A reused slot holds the new list only: a page copied before stays as it was, and a shorter list does not
    /// show the longer one's tail.</summary>
    [Fact]
    public void Add_SlotReusedByShorterList_EarlierCopyIntactAndNoOldPins()
    {
        var cache = Cache(maxSnapshots: 1);
        cache.Add("long", List(1, 40), 40, Model, null);
        Assert.True(cache.TryGetPage("long", 0, 40, out var before));

        cache.Add("short", List(2, 10), 10, Model, null);

        Assert.False(cache.TryGetPage("long", 0, 40, out _));
        Assert.True(cache.TryGetPage("short", 0, 40, out var after));
        Assert.Equal(10, after.Length);
        Assert.Equal("a2-9", after[9].Pin.Id);
        Assert.Equal("a1-39", before[39].Pin.Id);
    }

    /// <summary>A slot refilled with a shorter list lets go of the longer list's pins past its end.</summary>
    [Fact]
    public void Add_SlotReusedByShorterList_ReleasesTheLongerListsTail()
    {
        var cache = Cache(maxSnapshots: 1);
        var tail = KeepLongList(cache);

        cache.Add("short", List(2, 10), 10, Model, null);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(tail.IsAlive);
    }

    [Fact]
    public void Add_ExpiredList_NotReturned()
    {
        var time = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new RankedListCache(Options.Create(new PaginationOptions { MaxSnapshots = 4, SnapshotTtlSeconds = 60 }), time);
        cache.Add("a", List(1, 30), 30, Model, null);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(cache.TryGetPage("a", 0, 10, out _));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(cache.TryGetPage("a", 0, 10, out _));
    }

    /// <summary>Once the ring went round, keeping a list refills a slot: the per-list arrays are not made again (they
    /// were 38 KB a list at 200 candidates, and every one of them survived into the older GC generations).</summary>
    [Fact]
    public void Add_AfterTheRingWentRound_AllocatesNoListArrays()
    {
        var cache = Cache(maxSnapshots: 8);
        var ranked = List(1, 200);
        var ids = Enumerable.Range(0, 64).Select(i => "q" + i).ToArray();
        for (var i = 0; i < 16; i++)
        {
            cache.Add(ids[i], ranked, 200, Model, null);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 16; i < 64; i++)
        {
            cache.Add(ids[i], ranked, 200, Model, null);
        }

        var perList = (GC.GetAllocatedBytesForCurrentThread() - before) / 48.0;
        Assert.True(perList < 1_024, $"{perList:F0} bytes allocated per kept list");
        Assert.True(cache.TryGetPage("q63", 180, 20, out var page));
        Assert.Equal("a1-199", page[199].Pin.Id);
    }

    /// <summary>Pages read while writers keep replacing the one slot are whole pages of one list or nothing: never a
    /// mix of two lists.</summary>
    [Fact]
    public async Task TryGetPage_WhileWritersReplaceTheSlot_NeverMixesLists()
    {
        var cache = Cache(maxSnapshots: 1);
        var lists = Enumerable.Range(0, 4).Select(n => List(n, 200)).ToArray();
        // The writer runs until the reader has read for 600 ms and got at least 50 whole pages (or 30 s passed).
        var done = 0;
        var writer = Task.Run(
            () =>
            {
                var n = 0L;
                while (Volatile.Read(ref done) == 0)
                {
                    var k = (int)(n++ % lists.Length);
                    cache.Add("list" + k, lists[k], 200, Model, null);
                    if (n % 4 == 0)
                    {
                        Thread.Yield();
                    }
                }
            },
            TestContext.Current.CancellationToken);

        var (read, mixed) = (0, new List<string>());
        Span<double> features = stackalloc double[RankingFeature.Count];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((clock.ElapsedMilliseconds < 600 || read < 50) && clock.ElapsedMilliseconds < 30_000)
        {
            for (var k = 0; k < lists.Length; k++)
            {
                if (!cache.TryGetPage("list" + k, 0, 200, out var page))
                {
                    continue;
                }

                read++;
                for (var i = 0; i < page.Length; i++)
                {
                    page.Features(i, features);
                    if (page[i].Pin.Id != $"a{k}-{i}" || Math.Abs(features[0] - (k + (i / 100.0))) > 1e-5)
                    {
                        mixed.Add($"list{k}[{i}] = {page[i].Pin.Id}, feature {features[0]}");
                        break;
                    }
                }
            }
        }

        Volatile.Write(ref done, 1);
        await writer;
        Assert.True(read >= 50, $"{read} pages read in {clock.ElapsedMilliseconds} ms");
        Assert.Empty(mixed);
    }

    /// <summary>Keeps a 40-pin list and returns a weak reference to its last pin (made here, so no local keeps it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference KeepLongList(RankedListCache cache)
    {
        var list = List(1, 40);
        cache.Add("long", list, 40, Model, null);
        return new WeakReference(list[39].Pin);
    }

    private static RankedListCache Cache(int maxSnapshots) =>
        new(Options.Create(new PaginationOptions { MaxSnapshots = maxSnapshots }), TimeProvider.System);

    /// <summary>A ranked list whose pin i is "a{n}-{i}" with score and first feature n + i / 100.</summary>
    private static Candidate[] List(int n, int length)
    {
        var list = new Candidate[length];
        for (var i = 0; i < length; i++)
        {
            var c = new Candidate(new PinData { Id = $"a{n}-{i}", Tenant = "t", Title = "x" }, 1, 0.5f, 0) { Score = n + (i / 100.0) };
            c.Features[0] = n + (i / 100.0);
            list[i] = c;
        }

        return list;
    }
}
