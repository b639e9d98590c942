using Recommender.Vector.Storage;
using static Recommender.Vector.Tests.TestPins;

namespace Recommender.Vector.Tests;

/// <summary>The embedded store on disk: whatever was acknowledged is there after a reopen, and a torn or garbage
/// tail of the log (a crash mid-write) is cut off, never applied and never fatal.</summary>
public sealed class EmbeddedPersistenceTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reopen_AfterUpsertsAndDeletes_HasTheSameStateAndAnswers()
    {
        var path = _folder.Sub("store");
        var q = Query("boho wool rug", limit: 10);
        IReadOnlyList<SearchHit> before;
        using (var store = EmbeddedStores.Open(path))
        {
            await store.UpsertAsync(Catalog(), Ct);
            await store.DeleteAsync(Acme, ["p001", "p002"], 10, Ct);
            await store.UpsertAsync([Pin(Acme, 3, 2, "boho wool rug deluxe")], Ct);
            before = await store.SearchAsync(q, Ct);
        }

        using var reopened = EmbeddedStores.Open(path);

        Assert.Equal(83, (await reopened.GetStatsAsync(null, Ct)).Count);
        Assert.Equal("boho wool rug deluxe", (await reopened.GetAsync(Acme, ["p003"], Ct)).Single().Pin.Title);
        Assert.Equal(before.Select(h => (h.Point.Pin.Id, h.Score)), (await reopened.SearchAsync(q, Ct)).Select(h => (h.Point.Pin.Id, h.Score)));
        Assert.Equal(new UpsertResult(0, 1), await reopened.UpsertAsync([Pin(Acme, 1, version: 9)], Ct));
    }

    [Theory]
    [InlineData("half a record")]
    [InlineData("garbage")]
    [InlineData("bad checksum")]
    public async Task Reopen_LogWithTornTail_CutsTheTailAndKeepsEveryAcknowledgedPin(string damage)
    {
        var path = _folder.Sub("store");
        using (var store = EmbeddedStores.Open(path))
        {
            await store.UpsertAsync(Catalog(), Ct);
        }

        var log = Directory.GetFiles(path, "log-*.bin").Single();
        var goodLength = new FileInfo(log).Length;
        await DamageAsync(log, damage);

        using (var reopened = EmbeddedStores.Open(path))
        {
            Assert.Equal(Catalog().Count, (await reopened.GetStatsAsync(null, Ct)).Count);
            Assert.Equal(goodLength, new FileInfo(log).Length);

            // The store keeps working and appends after the cut.
            Assert.Equal(new UpsertResult(1, 0), await reopened.UpsertAsync([Pin(Acme, 200)], Ct));
        }

        using var again = EmbeddedStores.Open(path);
        Assert.Equal(Catalog().Count + 1, (await again.GetStatsAsync(null, Ct)).Count);
        Assert.Single(await again.GetAsync(Acme, ["p200"], Ct));
    }

    [Fact]
    public async Task Reopen_AfterCompaction_ReadsSnapshotPlusLaterLogAndKeepsTombstones()
    {
        var path = _folder.Sub("store");
        using (var store = EmbeddedStores.Open(path, compactionLogBytes: 16 * 1024))
        {
            foreach (var chunk in Catalog().Chunk(10))
            {
                await store.UpsertAsync(chunk, Ct);
            }

            await store.DeleteAsync(Acme, ["p007"], 50, Ct);
            await store.UpsertAsync([Pin(Acme, 300)], Ct);
        }

        Assert.True(File.Exists(Path.Combine(path, "snapshot.bin")), "the log should have been compacted into a snapshot");
        using var reopened = EmbeddedStores.Open(path);

        Assert.Equal(Catalog().Count, (await reopened.GetStatsAsync(null, Ct)).Count);
        Assert.Empty(await reopened.GetAsync(Acme, ["p007"], Ct));
        Assert.Equal(new UpsertResult(0, 1), await reopened.UpsertAsync([Pin(Acme, 7, version: 49)], Ct));
        Assert.Single(await reopened.GetAsync(Acme, ["p300"], Ct));
    }

    [Fact]
    public async Task Upsert_IsSearchableWhenTheCallReturns()
    {
        using var store = EmbeddedStores.Open(_folder.Sub("store"));
        await store.UpsertAsync(Catalog(), Ct);

        await store.UpsertAsync([Pin(Acme, 400, title: "saffron yurt")], Ct);

        Assert.Equal("p400", (await store.SearchAsync(Query("saffron yurt", limit: 1), Ct)).Single().Point.Pin.Id);
    }

    private static async Task DamageAsync(string log, string damage)
    {
        await using var stream = new FileStream(log, FileMode.Open, FileAccess.ReadWrite);
        switch (damage)
        {
            case "half a record":
                // A record header promising 4 KiB, followed by only part of it: a write torn by a crash.
                stream.Seek(0, SeekOrigin.End);
                await stream.WriteAsync(new byte[] { 0x00, 0x10, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5 }, Ct);
                break;
            case "garbage":
                stream.Seek(0, SeekOrigin.End);
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("this is not a record at all"), Ct);
                break;
            default:
                // A complete-looking record whose checksum does not match its body.
                stream.Seek(0, SeekOrigin.End);
                var body = new byte[] { 2, 1, (byte)'a', 1, (byte)'b', 0, 0, 0, 0, 0, 0, 0, 9 };
                var header = new byte[8];
                BitConverter.TryWriteBytes(header.AsSpan(0, 4), (uint)body.Length);
                BitConverter.TryWriteBytes(header.AsSpan(4, 4), 0x12345678u);
                await stream.WriteAsync(header, Ct);
                await stream.WriteAsync(body, Ct);
                break;
        }
    }

    public void Dispose() => _folder.Dispose();
}
