using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Ranking.Engagement;

namespace Recommender.Ranking.Tests.Engagement;

public sealed class EngagementLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recommender-englog-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AppendAsync_ManyConcurrent_AllOnDiskInDailyFilesAndReadBack()
    {
        var day1 = new DateTimeOffset(2026, 11, 1, 23, 59, 0, TimeSpan.Zero);
        await using (var log = new EngagementLog(_dir))
        {
            var appends = Enumerable.Range(0, 1_000)
                .Select(i => log.AppendAsync(EngagementStateTests.Event("u", $"p{i}", EngagementType.Click, at: day1.AddMinutes(i % 2))))
                .ToList();
            await Task.WhenAll(appends);
            Assert.Equal(1_000, log.Written);
        }

        var files = EngagementLog.Files(_dir, EngagementLog.EngagementPrefix, DateTimeOffset.MinValue);
        Assert.Equal(["engagement-2026-11-01.jsonl", "engagement-2026-11-02.jsonl"], files.Select(Path.GetFileName));
        var records = EngagementLog.Read(files).ToList();
        Assert.Equal(1_000, records.Count);
        Assert.Equal(1_000, records.Select(r => r.PinId).Distinct().Count());
        Assert.Empty(EngagementLog.Files(_dir, EngagementLog.EngagementPrefix, day1.AddDays(2)));
    }

    [Fact]
    public async Task AppendSearch_LogStillOpen_LinesReachTheFileTogetherAndLaterOnesToo()
    {
        var at = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
        var file = Path.Combine(_dir, "searches-2026-11-01.jsonl");
        await using var log = new EngagementLog(_dir);
        for (var i = 0; i < 300; i++)
        {
            log.AppendSearch(SearchRecord($"q{i}", at));
        }

        // Not waited for, but written within the flush delay while the log stays open.
        Assert.Equal(300, await LinesOnDiskAsync(file, 300));

        // The first flush disarmed the timer; the next search arms it again.
        log.AppendSearch(SearchRecord("q-late", at));
        Assert.Equal(301, await LinesOnDiskAsync(file, 301));
        Assert.Equal("q-late", EngagementLog.Read([file]).Last().QueryId);
    }

    [Fact]
    public async Task AppendSearch_DisposedBeforeTheFlushDelay_LinesAreWritten()
    {
        var at = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
        await using (var log = new EngagementLog(_dir))
        {
            log.AppendSearch(SearchRecord("q1", at));
            await log.AppendAsync(EngagementStateTests.Event("u", "p1", EngagementType.Click, at: at));
            log.AppendSearch(SearchRecord("q2", at));
        }

        var records = EngagementLog.Read([Path.Combine(_dir, "searches-2026-11-01.jsonl")]).ToList();
        Assert.Equal(["q1", "q2"], records.Select(r => r.QueryId));
    }

    [Fact]
    public async Task Read_TornLastLine_IsSkippedAndTheNextAppendStartsOnANewLine()
    {
        var at = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
        await using (var log = new EngagementLog(_dir))
        {
            await log.AppendAsync(EngagementStateTests.Event("u", "p1", EngagementType.Click, at: at));
        }

        var file = Path.Combine(_dir, "engagement-2026-11-01.jsonl");
        await File.AppendAllTextAsync(file, """{"type":"engagement","tenant":"t","pin_i""", TestContext.Current.CancellationToken); // killed mid-write
        await using (var log = new EngagementLog(_dir))
        {
            await log.AppendAsync(EngagementStateTests.Event("u", "p2", EngagementType.Save, at: at));
        }

        var records = EngagementLog.Read([file]).ToList();
        Assert.Equal(["p1", "p2"], records.Select(r => r.PinId));
        Assert.Equal("save", records[1].Kind);
    }

    [Fact]
    public async Task Recorder_Restart_ReplaysTheLogIntoStateAndTheDedupeSet()
    {
        var options = Options.Create(new EngagementOptions { DataPath = _dir });
        var environment = new HostEnv(_dir);
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, 10).Select(i => EngagementStateTests.Event("u1", $"p{i % 3}", EngagementType.Click, brand: "HP", at: now)).ToList();

        var first = new EngagementState(options);
        var recorder = new EngagementRecorder(first, options, environment, NullLogger<EngagementRecorder>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        foreach (var e in events)
        {
            Assert.True(first.TryReserve("t", e.IdempotencyKey!));
            await recorder.AppendAsync(e);
            first.Apply(e);
        }

        await recorder.AppendAsync(events[0]); // a line written twice (a retried write) must still count once
        await recorder.StopAsync(CancellationToken.None);

        var second = new EngagementState(options);
        var restarted = new EngagementRecorder(second, options, environment, NullLogger<EngagementRecorder>.Instance);
        await restarted.StartAsync(CancellationToken.None);
        await second.Ready;

        Assert.Equal(first.StatsFor("t").EventsCounted, second.StatsFor("t").EventsCounted);
        Assert.Equal(10, second.StatsFor("t").EventsCounted);
        Assert.Equal(first.Pin("t", "p0").Popularity, second.Pin("t", "p0").Popularity, 3);
        Assert.Equal(1, second.Affinity("t", "u1", null)!.Brand("HP"));
        Assert.All(events, e => Assert.False(second.TryReserve("t", e.IdempotencyKey!)));
        await restarted.StopAsync(CancellationToken.None);
    }

    private static EngagementRecord SearchRecord(string queryId, DateTimeOffset at) =>
        new() { Type = EngagementRecord.SearchType, Tenant = "t", QueryId = queryId, Query = "hp toner", Timestamp = at };

    /// <summary>The file's record count once it reaches <paramref name="expected"/>, or what it has after 10 s.</summary>
    private static async Task<int> LinesOnDiskAsync(string file, int expected)
    {
        var count = 0;
        for (var waited = 0; waited < 200; waited++)
        {
            count = File.Exists(file) ? EngagementLog.Read([file]).Count() : 0;
            if (count >= expected)
            {
                break;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return count;
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private sealed class HostEnv(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";

        public string ApplicationName { get; set; } = "test";

        public string ContentRootPath { get; set; } = root;

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
