using Microsoft.Extensions.Options;
using Recommender.Contracts;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>The rule sets of <see cref="RankingRulesOptions"/>, compiled once into lookups.</summary>
public sealed class BusinessRules
{
    private readonly CompiledRules _default;
    private readonly Dictionary<string, CompiledRules> _tenants;

    public BusinessRules(IOptions<RankingRulesOptions> options)
    {
        _default = new CompiledRules(options.Value.Default);
        _tenants = options.Value.Tenants.ToDictionary(t => t.Key, t => new CompiledRules(t.Value), StringComparer.Ordinal);
    }

    public CompiledRules For(string tenant) => _tenants.TryGetValue(tenant, out var rules) ? rules : _default;
}

/// <summary>One tenant's rules as hash lookups.</summary>
public sealed class CompiledRules
{
    private readonly HashSet<string> _boostPins;
    private readonly HashSet<string> _buryPins;
    private readonly HashSet<string> _boostBrands;
    private readonly HashSet<string> _buryBrands;
    private readonly HashSet<string> _boostCategories;
    private readonly HashSet<string> _buryCategories;
    private readonly Dictionary<string, int> _pinned;
    private readonly double _boostWeight;
    private readonly double _buryWeight;
    private readonly double _outOfStockPenalty;

    public CompiledRules(RuleSet rules)
    {
        _boostPins = rules.BoostPins.ToHashSet(StringComparer.Ordinal);
        _buryPins = rules.BuryPins.ToHashSet(StringComparer.Ordinal);
        _boostBrands = rules.BoostBrands.ToHashSet(StringComparer.OrdinalIgnoreCase);
        _buryBrands = rules.BuryBrands.ToHashSet(StringComparer.OrdinalIgnoreCase);
        _boostCategories = rules.BoostCategories.ToHashSet(StringComparer.OrdinalIgnoreCase);
        _buryCategories = rules.BuryCategories.ToHashSet(StringComparer.OrdinalIgnoreCase);
        _pinned = rules.Pinned.ToDictionary(p => p.PinId, p => p.Position, StringComparer.Ordinal);
        _boostWeight = rules.BoostWeight;
        _buryWeight = rules.BuryWeight;
        _outOfStockPenalty = rules.OutOfStockPenalty;
        OutOfStock = rules.OutOfStock;
        HasScoreRules = _boostPins.Count + _buryPins.Count + _boostBrands.Count + _buryBrands.Count
            + _boostCategories.Count + _buryCategories.Count > 0;
    }

    public OutOfStockMode OutOfStock { get; }

    public bool HasPinned => _pinned.Count > 0;

    private bool HasScoreRules { get; }

    /// <summary>The 1-based position a pin is pinned to, or 0.</summary>
    public int PinnedPosition(string pinId) => _pinned.Count > 0 && _pinned.TryGetValue(pinId, out var p) ? p : 0;

    /// <summary>Adds boost, bury and out-of-stock adjustments to each candidate's score (in units of the candidate
    /// set's score range) and marks pinned candidates.</summary>
    public void Apply(List<Candidate> candidates)
    {
        if (candidates.Count == 0)
        {
            return;
        }

        var min = double.MaxValue;
        var max = double.MinValue;
        foreach (var c in candidates)
        {
            min = Math.Min(min, c.Score);
            max = Math.Max(max, c.Score);
        }

        var range = max > min ? max - min : Math.Max(1e-9, Math.Abs(max));
        foreach (var c in candidates)
        {
            var pin = c.Pin;
            if (HasScoreRules)
            {
                if (_boostPins.Contains(pin.Id) || _boostBrands.Contains(pin.Brand) || InCategory(pin, _boostCategories))
                {
                    c.BoostDelta = _boostWeight * range;
                    c.Score += c.BoostDelta;
                    c.Effects |= TailEffects.Boosted;
                }

                if (_buryPins.Contains(pin.Id) || _buryBrands.Contains(pin.Brand) || InCategory(pin, _buryCategories))
                {
                    c.BuryDelta = -_buryWeight * range;
                    c.Score += c.BuryDelta;
                    c.Effects |= TailEffects.Buried;
                }
            }

            if (!pin.InStock && OutOfStock != OutOfStockMode.None)
            {
                c.OutOfStockDelta = -(OutOfStock == OutOfStockMode.Penalty ? _outOfStockPenalty : 1.0) * range;
                c.Score += c.OutOfStockDelta;
                c.Effects |= TailEffects.OutOfStock;
            }

            if (PinnedPosition(pin.Id) > 0)
            {
                c.Effects |= TailEffects.Pinned;
            }
        }
    }

    private static bool InCategory(PinData pin, HashSet<string> categories)
    {
        if (categories.Count == 0)
        {
            return false;
        }

        foreach (var level in pin.CategoryPath)
        {
            if (categories.Contains(level))
            {
                return true;
            }
        }

        return false;
    }
}
