using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Ranking.Engagement;

// Replays synthetic engagement (default 1M events, 100k users, 50k pins, Zipf-like pin popularity) into
// EngagementState with the default caps, then reports peak RSS, the state's sizes, events/s and read latencies.
// `--log DIR` also writes every event through the fsynced engagement log first (64 events per group commit).
var events = Arg("--events", 1_000_000);
var users = Arg("--users", 100_000);
var pins = Arg("--pins", 50_000);
var logDir = args.SkipWhile(a => a != "--log").Skip(1).FirstOrDefault();
var options = new EngagementOptions();
var state = new EngagementState(Options.Create(options));
state.MarkReady();
var random = new Random(42);
var brands = Enumerable.Range(0, 300).Select(i => $"brand-{i}").ToArray();
var categories = Enumerable.Range(0, 150).Select(i => $"category-{i}").ToArray();
var pinAttributes = Enumerable.Range(0, pins).Select(i => (Brand: brands[i % brands.Length], Category: new[] { "root", categories[(i * 7) % categories.Length] }, Price: 5 + ((i * 37) % 2_000))).ToArray();
var start = DateTimeOffset.UtcNow.AddDays(-3);
var rssBefore = Rss();

var watch = Stopwatch.StartNew();
EngagementLog? log = logDir is null ? null : new EngagementLog(logDir);
var pending = new List<Task>(64);
for (var i = 0; i < events; i++)
{
    var pin = (int)Math.Min(pins - 1, Math.Floor(Math.Pow(random.NextDouble(), 3) * pins)); // skewed: few pins get most events
    var user = random.Next(users);
    var kind = random.NextDouble() switch { < 0.70 => EngagementType.Impression, < 0.90 => EngagementType.Click, < 0.95 => EngagementType.Save, < 0.98 => EngagementType.AddToCart, _ => EngagementType.Purchase };
    var at = start.AddSeconds(i * (3 * 86_400.0 / events));
    var a = pinAttributes[pin];
    var record = new EngagementRecord
    {
        Type = EngagementRecord.EngagementType, Tenant = "shop", UserId = $"user-{user}", SessionId = $"session-{user}-{i / 200_000}",
        PinId = $"pin-{pin}", Kind = EngagementRecord.KindName(kind), Timestamp = at, LoggedAt = at, IdempotencyKey = $"e-{i}",
        Brand = a.Brand, Category = a.Category, Price = a.Price,
    };
    if (!state.TryReserve(record.Tenant, record.IdempotencyKey))
    {
        continue;
    }

    if (log is not null)
    {
        pending.Add(log.AppendAsync(record));
        if (pending.Count == 64)
        {
            await Task.WhenAll(pending);
            pending.Clear();
        }
    }

    state.Apply(record);
}

await Task.WhenAll(pending);
if (log is not null)
{
    await log.DisposeAsync();
}

var applySeconds = watch.Elapsed.TotalSeconds;
var cpuSeconds = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
GC.Collect();
var stats = state.StatsFor("shop");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{events:N0} events, {users:N0} users, {pins:N0} pins{(logDir is null ? "" : ", through the fsynced log")}: {applySeconds:F1} s wall = {events / applySeconds:N0} events/s; {cpuSeconds:F1} s CPU = {events / cpuSeconds:N0} events per CPU-second (incl. GC); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
Console.WriteLine($"state: {state.PinCount:N0} pins (cap {options.MaxPins:N0}), {state.UserCount:N0} users (cap {options.MaxUsers:N0}), {state.SessionCount:N0} sessions (cap {options.MaxSessions:N0}), {state.DedupeKeyCount:N0} dedupe keys (cap {options.MaxDedupeKeys:N0}); counted {stats.EventsCounted:N0}");
Console.WriteLine($"memory: RSS before {rssBefore / 1_048_576.0:F0} MiB, peak RSS {PeakRss() / 1_048_576.0:F0} MiB, managed heap after GC {GC.GetTotalMemory(true) / 1_048_576.0:F0} MiB");

// Read latency: what one search costs the feature extractor (affinity + 200 candidates' pin signals and affinities).
var affinityTimes = new double[20_000];
var candidateTimes = new double[2_000];
for (var i = 0; i < affinityTimes.Length; i++)
{
    var t = Stopwatch.GetTimestamp();
    _ = state.Affinity("shop", $"user-{random.Next(users)}", $"session-{random.Next(users)}-4");
    affinityTimes[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
}

for (var i = 0; i < candidateTimes.Length; i++)
{
    var t = Stopwatch.GetTimestamp();
    var affinity = state.Affinity("shop", $"user-{random.Next(users)}", null);
    var sum = 0.0;
    for (var c = 0; c < 200; c++)
    {
        var pin = random.Next(pins);
        var a = pinAttributes[pin];
        sum += state.Pin("shop", $"pin-{pin}").Popularity + (affinity?.Brand(a.Brand) ?? 0) + (affinity?.Category(a.Category) ?? 0) + (affinity?.PriceBand(a.Price) ?? 0);
    }

    candidateTimes[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
    GC.KeepAlive(sum);
}

Console.WriteLine(Percentiles("Affinity(user, session) snapshot", affinityTimes));
Console.WriteLine(Percentiles("one search's engagement features (affinity + 200 candidates)", candidateTimes));
return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static long Rss() => StatusValue("VmRSS:");

static long PeakRss() => StatusValue("VmHWM:");

static long StatusValue(string key)
{
    var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
    return line is null ? 0 : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
}

static string Percentiles(string what, double[] samples)
{
    Array.Sort(samples);
    double P(double q) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(q * samples.Length) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"{what}: p50 {P(0.5):F1} us, p99 {P(0.99):F1} us, max {samples[^1]:F1} us");
}
