using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Recommender.Contracts;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// This replica's engagement state, fed by the log (replay) and the consumer, read by the ranker without I/O:
/// per pin a kind-weighted popularity and a smoothed CTR, per user and per session the top-K brands, categories and
/// price bands, all decaying exponentially with one half-life. Bounded: pins, users, sessions and remembered
/// idempotency keys each have a cap; past it the lowest-weight pins and least recently active users/sessions are
/// evicted (down to 95% of the cap, so eviction runs once per 5% of inserts) and keys older than the dedupe window
/// or beyond their cap are forgotten. Writes are serialised by one lock (they are microseconds; the log's fsync is
/// outside it); reads take no global lock.
/// </summary>
public sealed class EngagementState : IEngagementSignals
{
    private const double EvictTo = 0.95;
    private readonly EngagementOptions _options;
    private readonly TimeProvider _clock;
    private readonly double _halfLifeTicks;
    private readonly Lock _write = new();
    // Per tenant, then per pin id (ordinal): a ranked list reads its tenant's map once (TenantPins), then one string
    // lookup per candidate.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, PinEntry>> _pins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Tenant, string Id), Profile> _users = new();
    private readonly ConcurrentDictionary<(string Tenant, string Id), Profile> _sessions = new();
    private readonly ConcurrentDictionary<(string Tenant, string Key), long> _seen = new();
    private readonly Queue<((string Tenant, string Key) Key, long Ticks)> _seenOrder = new();
    private readonly ConcurrentDictionary<string, TenantStats> _stats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Ticks, string[] Pins)> _popularCache = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Own counts (changed under the write lock): ConcurrentDictionary.Count takes every one of its locks.
    private int _pinCount;
    private int _userCount;
    private int _sessionCount;

    public EngagementState(IOptions<EngagementOptions> options, TimeProvider? clock = null)
    {
        _options = options.Value;
        _clock = clock ?? TimeProvider.System;
        _halfLifeTicks = _options.HalfLife.Ticks;
    }

    /// <summary>Completes once the log has been replayed; the consumer waits for it before counting.</summary>
    public Task Ready => _ready.Task;

    public void MarkReady() => _ready.TrySetResult();

    public int PinCount => Volatile.Read(ref _pinCount);

    public int UserCount => Volatile.Read(ref _userCount);

    public int SessionCount => Volatile.Read(ref _sessionCount);

    public int DedupeKeyCount => _seen.Count;

    public static double KindWeight(EngagementType kind) => kind switch
    {
        EngagementType.Impression => 0.05,
        EngagementType.Click => 1,
        EngagementType.Save => 2,
        EngagementType.AddToCart => 3,
        EngagementType.Purchase => 5,
        _ => 0,
    };

    /// <summary>The price band of a price: powers of two ($8-16, $16-32, ...).</summary>
    public static int PriceBandOf(double price) => price <= 1 ? 0 : (int)Math.Floor(Math.Log2(price));

    /// <summary>Claims an idempotency key for counting; false when it was counted (or is being counted) already.</summary>
    public bool TryReserve(string tenant, string key)
    {
        if (_seen.TryAdd((tenant, key), 0))
        {
            return true;
        }

        Stats(tenant).AddDuplicate();
        return false;
    }

    /// <summary>Gives a reserved key back (its event could not be logged; the redelivery will count it).</summary>
    public void Release(string tenant, string key) => _seen.TryRemove(new KeyValuePair<(string, string), long>((tenant, key), 0));

    /// <summary>What this replica knows of a pin's brand/category/price (from an earlier event), or null.</summary>
    public PinAttributes? KnownAttributes(string tenant, string pinId) =>
        _pins.TryGetValue(tenant, out var pins) && pins.TryGetValue(pinId, out var p) && p.Attributes is { } a ? a : null;

    /// <summary>Counts one logged engagement record. During replay a repeated key is dropped here (the log may hold
    /// a line twice if a write was retried); live events were reserved with <see cref="TryReserve"/>.</summary>
    public bool Apply(EngagementRecord record, bool replay = false)
    {
        if (record.Type != EngagementRecord.EngagementType || record.PinId is null || record.IdempotencyKey is null
            || EngagementRecord.ParseKind(record.Kind) is not { } kind)
        {
            return false;
        }

        var tenant = record.Tenant;
        var seenKey = (tenant, record.IdempotencyKey);
        lock (_write)
        {
            var logged = record.LoggedAt.UtcTicks;
            if (replay)
            {
                if (!_seen.TryAdd(seenKey, logged))
                {
                    Stats(tenant).AddDuplicate();
                    return false;
                }
            }
            else
            {
                _seen[seenKey] = logged;
            }

            _seenOrder.Enqueue((seenKey, logged));
            TrimSeen(Math.Max(logged, _clock.GetUtcNow().UtcTicks));

            var at = record.Timestamp.UtcTicks;
            var attributes = record.Brand is null && record.Category is null && record.Price is null
                ? null
                : new PinAttributes(record.Brand ?? "", record.Category ?? [], record.Price);
            ApplyPin(tenant, record.PinId, kind, at, attributes);
            attributes ??= KnownAttributes(tenant, record.PinId);
            if (record.UserId is { Length: > 0 } user)
            {
                ApplyProfile(_users, _options.MaxUsers, tenant, user, record.PinId, kind, at, attributes, isUser: true);
            }

            if (record.SessionId is { Length: > 0 } session)
            {
                ApplyProfile(_sessions, _options.MaxSessions, tenant, session, record.PinId, kind, at, attributes, isUser: false);
            }

            Stats(tenant).AddCounted();
            return true;
        }
    }

    /// <summary>One pin's signals now (<see cref="Pins"/> for a whole list).</summary>
    public PinSignals Pin(string tenant, string pinId) => Pins(tenant).Of(pinId);

    public ITenantPinSignals Pins(string tenant) =>
        _pins.TryGetValue(tenant, out var pins)
            ? new TenantPins(this, pins, _clock.GetUtcNow().UtcTicks)
            : NoEngagement.NoPins;

    private PinSignals Signals(PinEntry p, long now)
    {
        var f = Decay(p.Ticks, now);
        var clicks = p.Clicks * f;

        // A storefront that sends no impressions must not get CTRs above 1: a click implies an impression.
        var impressions = Math.Max(p.Impressions * f, clicks);
        var ctr = (clicks + (_options.PriorStrength * _options.PriorCtr)) / (impressions + _options.PriorStrength);
        return new PinSignals(p.Popularity * f, double.IsFinite(ctr) ? Math.Clamp(ctr, 0, 1) : 0);
    }

    public IAffinity? Affinity(string tenant, string? userId, string? sessionId)
    {
        var user = userId is { Length: > 0 } && _users.TryGetValue((tenant, userId), out var u) ? u.Snapshot() : null;
        var session = sessionId is { Length: > 0 } && _sessions.TryGetValue((tenant, sessionId), out var s) ? s.Snapshot() : null;
        return (user, session) switch
        {
            (null, null) => null,
            ({ } one, null) => one,
            (null, { } one) => one,
            _ => new MergedAffinity(user!, session!),
        };
    }

    /// <summary>The pins a user and/or session engaged with last, most recent first.</summary>
    public IReadOnlyList<string> RecentPins(string tenant, string? userId, string? sessionId)
    {
        var pins = new List<string>();
        if (sessionId is { Length: > 0 } && _sessions.TryGetValue((tenant, sessionId), out var s))
        {
            pins.AddRange(s.Recent());
        }

        if (userId is { Length: > 0 } && _users.TryGetValue((tenant, userId), out var u))
        {
            pins.AddRange(u.Recent());
        }

        return pins.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The user's/session's top brands and categories by weight (for home-feed candidates).</summary>
    public (IReadOnlyList<string> Brands, IReadOnlyList<string> Categories) TopInterests(string tenant, string? userId, string? sessionId, int count)
    {
        var snapshots = new List<AffinitySnapshot>();
        if (userId is { Length: > 0 } && _users.TryGetValue((tenant, userId), out var u))
        {
            snapshots.Add(u.Snapshot());
        }

        if (sessionId is { Length: > 0 } && _sessions.TryGetValue((tenant, sessionId), out var s))
        {
            snapshots.Add(s.Snapshot());
        }

        static List<string> Top(IEnumerable<KeyValuePair<string, double>> items, int n) =>
            items.GroupBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(g => (g.Key, W: g.Max(kv => kv.Value)))
                .OrderByDescending(x => x.W).ThenBy(x => x.Key, StringComparer.Ordinal).Take(n).Select(x => x.Key).ToList();

        return (Top(snapshots.SelectMany(x => x.Brands), count), Top(snapshots.SelectMany(x => x.Categories), count));
    }

    /// <summary>The tenant's most popular pins now (recomputed at most every 2 seconds).</summary>
    public IReadOnlyList<string> PopularPins(string tenant, int count)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        if (_popularCache.TryGetValue(tenant, out var cached) && now - cached.Ticks < TimeSpan.TicksPerSecond * 2 && cached.Pins.Length >= count)
        {
            return cached.Pins.Take(count).ToArray();
        }

        if (!_pins.TryGetValue(tenant, out var pins))
        {
            return [];
        }

        var top = pins
            .Select(kv => (Pin: kv.Key, W: kv.Value.Popularity * Decay(kv.Value.Ticks, now)))
            .OrderByDescending(x => x.W).ThenBy(x => x.Pin, StringComparer.Ordinal)
            .Take(Math.Max(count, 100)).Select(x => x.Pin).ToArray();
        _popularCache[tenant] = (now, top);
        return top.Take(count).ToArray();
    }

    public EngagementStats StatsFor(string tenant) =>
        _stats.TryGetValue(tenant, out var s) ? s.Snapshot() : default;

    private TenantStats Stats(string tenant) => _stats.GetOrAdd(tenant, _ => new TenantStats());

    private double Decay(long fromTicks, long toTicks) => Math.Pow(2, -(toTicks - fromTicks) / _halfLifeTicks);

    private void ApplyPin(string tenant, string pinId, EngagementType kind, long at, PinAttributes? attributes)
    {
        var pins = _pins.GetOrAdd(tenant, static _ => new ConcurrentDictionary<string, PinEntry>(StringComparer.Ordinal));
        if (!pins.TryGetValue(pinId, out var old))
        {
            if (_pinCount >= _options.MaxPins)
            {
                EvictPins();
            }

            old = new PinEntry(0, 0, 0, at, null);
            _pinCount++;
            Stats(tenant).Pins(+1);
        }

        // Move the entry's reference time forward to the newer of the two; an older event adds a decayed weight.
        var reference = Math.Max(old.Ticks, at);
        var fOld = Decay(old.Ticks, reference);
        var fNew = Decay(at, reference);
        pins[pinId] = new PinEntry(
            (old.Popularity * fOld) + (KindWeight(kind) * fNew),
            (old.Impressions * fOld) + (kind == EngagementType.Impression ? fNew : 0),
            (old.Clicks * fOld) + (kind == EngagementType.Click ? fNew : 0),
            reference,
            attributes ?? old.Attributes);
        _popularCache.TryRemove(tenant, out _);
    }

    private void ApplyProfile(
        ConcurrentDictionary<(string, string), Profile> profiles, int cap, string tenant, string id, string pinId,
        EngagementType kind, long at, PinAttributes? attributes, bool isUser)
    {
        var key = (tenant, id);
        if (!profiles.TryGetValue(key, out var profile))
        {
            if ((isUser ? _userCount : _sessionCount) >= cap)
            {
                EvictProfiles(profiles, isUser);
            }

            profile = new Profile(_options.TopKPerUser, _options.RecentPinsPerUser, _halfLifeTicks);
            profiles[key] = profile;
            var stats = Stats(tenant);
            if (isUser)
            {
                _userCount++;
                stats.Users(+1);
            }
            else
            {
                _sessionCount++;
                stats.Sessions(+1);
            }
        }

        profile.Add(pinId, KindWeight(kind), at, attributes);
    }

    private void EvictPins()
    {
        var now = _clock.GetUtcNow().UtcTicks;
        var keep = (int)(_options.MaxPins * EvictTo);
        var weights = _pins.SelectMany(tenant => tenant.Value.Select(kv => (Tenant: tenant.Key, Pins: tenant.Value, Pin: kv.Key, W: kv.Value.Popularity * Decay(kv.Value.Ticks, now))))
            .ToArray();
        Array.Sort(weights, (a, b) => a.W.CompareTo(b.W));
        for (var i = 0; i < weights.Length - keep; i++)
        {
            if (weights[i].Pins.TryRemove(weights[i].Pin, out _))
            {
                _pinCount--;
                Stats(weights[i].Tenant).Pins(-1);
            }
        }
    }

    private void EvictProfiles(ConcurrentDictionary<(string Tenant, string Id), Profile> profiles, bool isUser)
    {
        var cap = isUser ? _options.MaxUsers : _options.MaxSessions;
        var keep = (int)(cap * EvictTo);
        var order = profiles.Select(kv => (kv.Key, kv.Value.LastTicks)).ToArray();
        Array.Sort(order, (a, b) => a.LastTicks.CompareTo(b.LastTicks));
        for (var i = 0; i < order.Length - keep; i++)
        {
            if (profiles.TryRemove(order[i].Key, out _))
            {
                var stats = Stats(order[i].Key.Tenant);
                if (isUser)
                {
                    _userCount--;
                    stats.Users(-1);
                }
                else
                {
                    _sessionCount--;
                    stats.Sessions(-1);
                }
            }
        }
    }

    private void TrimSeen(long now)
    {
        var oldest = now - _options.DedupeWindow.Ticks;
        while (_seenOrder.TryPeek(out var head) && (head.Ticks < oldest || _seenOrder.Count > _options.MaxDedupeKeys))
        {
            _seenOrder.Dequeue();
            _seen.TryRemove(new KeyValuePair<(string, string), long>(head.Key, head.Ticks));
        }
    }

    private sealed record PinEntry(double Popularity, double Impressions, double Clicks, long Ticks, PinAttributes? Attributes);

    /// <summary>One tenant's pins as of one clock reading.</summary>
    private sealed class TenantPins(EngagementState state, ConcurrentDictionary<string, PinEntry> pins, long now) : ITenantPinSignals
    {
        public PinSignals Of(string pinId) => pins.TryGetValue(pinId, out var p) ? state.Signals(p, now) : PinSignals.None;
    }

    private sealed class TenantStats
    {
        private long _counted;
        private long _duplicates;
        private long _pins;
        private long _users;
        private long _sessions;

        public void AddCounted() => Interlocked.Increment(ref _counted);

        public void AddDuplicate() => Interlocked.Increment(ref _duplicates);

        public void Pins(int delta) => Interlocked.Add(ref _pins, delta);

        public void Users(int delta) => Interlocked.Add(ref _users, delta);

        public void Sessions(int delta) => Interlocked.Add(ref _sessions, delta);

        public EngagementStats Snapshot() => new(
            Interlocked.Read(ref _counted), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _pins),
            Interlocked.Read(ref _users), Interlocked.Read(ref _sessions));
    }

    /// <summary>One user's or session's decayed weights. All weights share one reference time, so a new event
    /// first scales the old ones down; only the top K of each kind are kept.</summary>
    private sealed class Profile(int topK, int recentCount, double halfLifeTicks)
    {
        private readonly Lock _lock = new();
        private readonly TopK _brands = new(topK);
        private readonly TopK _categories = new(topK);
        private readonly TopK _bands = new(topK);
        private readonly string[] _recent = new string[recentCount];
        private int _recentCount;
        private long _reference;

        public long LastTicks { get; private set; }

        public void Add(string pinId, double weight, long at, PinAttributes? attributes)
        {
            lock (_lock)
            {
                if (at > _reference)
                {
                    var f = Math.Pow(2, -(at - _reference) / halfLifeTicks);
                    _brands.Scale(f);
                    _categories.Scale(f);
                    _bands.Scale(f);
                    _reference = at;
                }

                var w = weight * Math.Pow(2, -(_reference - at) / halfLifeTicks);
                if (attributes is { } a)
                {
                    if (a.Brand.Length > 0)
                    {
                        _brands.Add(a.Brand, w);
                    }

                    if (a.CategoryPath.Count > 0)
                    {
                        _categories.Add(a.CategoryPath[^1], w);
                    }

                    if (a.Price is { } price)
                    {
                        _bands.Add(PriceBandOf(price).ToString(System.Globalization.CultureInfo.InvariantCulture), w);
                    }
                }

                if (weight >= 1)
                {
                    // Impressions are not interest: only clicks and stronger seed the home feed.
                    var existing = Array.IndexOf(_recent, pinId, 0, _recentCount);
                    var shiftFrom = existing >= 0 ? existing : Math.Min(_recentCount, _recent.Length - 1);
                    Array.Copy(_recent, 0, _recent, 1, shiftFrom);
                    _recent[0] = pinId;
                    _recentCount = existing >= 0 ? _recentCount : Math.Min(_recentCount + 1, _recent.Length);
                }

                LastTicks = Math.Max(LastTicks, at);
            }
        }

        public string[] Recent()
        {
            lock (_lock)
            {
                return _recent.AsSpan(0, _recentCount).ToArray();
            }
        }

        public AffinitySnapshot Snapshot()
        {
            lock (_lock)
            {
                return new AffinitySnapshot(_brands.Normalized(), _categories.Normalized(), _bands.Normalized());
            }
        }
    }

    /// <summary>At most K (key, weight) pairs; a new key past K replaces the lightest if it weighs more.</summary>
    private sealed class TopK(int capacity)
    {
        private readonly List<KeyValuePair<string, double>> _items = new(Math.Min(capacity, 4));

        public void Scale(double f)
        {
            for (var i = 0; i < _items.Count; i++)
            {
                _items[i] = new(_items[i].Key, _items[i].Value * f);
            }
        }

        public void Add(string key, double w)
        {
            var min = -1;
            for (var i = 0; i < _items.Count; i++)
            {
                if (string.Equals(_items[i].Key, key, StringComparison.OrdinalIgnoreCase))
                {
                    _items[i] = new(_items[i].Key, _items[i].Value + w);
                    return;
                }

                if (min < 0 || _items[i].Value < _items[min].Value)
                {
                    min = i;
                }
            }

            if (_items.Count < capacity)
            {
                _items.Add(new(key, w));
            }
            else if (_items[min].Value < w)
            {
                _items[min] = new(key, w);
            }
        }

        public Dictionary<string, double> Normalized()
        {
            var max = _items.Count == 0 ? 0 : _items.Max(kv => kv.Value);
            var result = new Dictionary<string, double>(_items.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in _items)
            {
                result[key] = max > 0 ? value / max : 0;
            }

            return result;
        }
    }

    private sealed class AffinitySnapshot(
        Dictionary<string, double> brands, Dictionary<string, double> categories, Dictionary<string, double> bands) : IAffinity
    {
        public Dictionary<string, double> Brands => brands;

        public Dictionary<string, double> Categories => categories;

        public double Brand(string brand) => brand.Length > 0 ? brands.GetValueOrDefault(brand) : 0;

        public double Category(IReadOnlyList<string> categoryPath)
        {
            // The leaf counts fully; a broader level of the path half (interest in "Printers" says less about "Toner").
            var best = 0.0;
            for (var i = categoryPath.Count - 1; i >= 0; i--)
            {
                var w = categories.GetValueOrDefault(categoryPath[i]) * (i == categoryPath.Count - 1 ? 1 : 0.5);
                best = Math.Max(best, w);
            }

            return best;
        }

        public double PriceBand(double? price)
        {
            if (price is not { } p || bands.Count == 0)
            {
                return 0;
            }

            var band = PriceBandOf(p);
            double At(int b) => bands.GetValueOrDefault(b.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Math.Max(At(band), 0.5 * Math.Max(At(band - 1), At(band + 1)));
        }
    }

    private sealed class MergedAffinity(IAffinity user, IAffinity session) : IAffinity
    {
        public double Brand(string brand) => Math.Max(user.Brand(brand), session.Brand(brand));

        public double Category(IReadOnlyList<string> categoryPath) => Math.Max(user.Category(categoryPath), session.Category(categoryPath));

        public double PriceBand(double? price) => Math.Max(user.PriceBand(price), session.PriceBand(price));
    }
}

/// <summary>What affinity needs to know of a pin.</summary>
public sealed record PinAttributes(string Brand, IReadOnlyList<string> CategoryPath, double? Price);

/// <summary>A tenant's engagement counters on this replica.</summary>
public readonly record struct EngagementStats(long EventsCounted, long DuplicatesDropped, long PinsTracked, long UsersTracked, long SessionsTracked);
