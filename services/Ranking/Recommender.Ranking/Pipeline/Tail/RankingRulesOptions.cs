using Microsoft.Extensions.Options;

namespace Recommender.Ranking.Pipeline.Tail;

/// <summary>Section "Ranking:Rules": merchandising rules applied after the model scores. <see cref="Default"/> applies to
/// every tenant without an entry in <see cref="Tenants"/>; a tenant's entry replaces the default (it is not merged).</summary>
public sealed class RankingRulesOptions
{
    public const string Section = "Ranking:Rules";

    public RuleSet Default { get; set; } = new();

    /// <summary>Per-tenant rule sets, by tenant id.</summary>
    public Dictionary<string, RuleSet> Tenants { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>How out-of-stock pins are treated.</summary>
public enum OutOfStockMode
{
    /// <summary>Out-of-stock pins rank as the model scored them.</summary>
    None,

    /// <summary>Every in-stock candidate ranks above every out-of-stock one (the default).</summary>
    Bottom,

    /// <summary>Out-of-stock pins lose <see cref="RuleSet.OutOfStockPenalty"/> of the candidate score range.</summary>
    Penalty,
}

/// <summary>One tenant's rules. Boost/bury weights are fractions of the candidate set's score range (max - min), so
/// they mean the same with any ranker model: 0.25 moves a pin up a quarter of the way from the worst to the best.</summary>
public sealed class RuleSet
{
    public List<string> BoostPins { get; set; } = [];

    public List<string> BoostBrands { get; set; } = [];

    /// <summary>Matches any level of a pin's category path (case-insensitive).</summary>
    public List<string> BoostCategories { get; set; } = [];

    public List<string> BuryPins { get; set; } = [];

    public List<string> BuryBrands { get; set; } = [];

    public List<string> BuryCategories { get; set; } = [];

    public double BoostWeight { get; set; } = 0.25;

    public double BuryWeight { get; set; } = 0.25;

    /// <summary>Pins placed at fixed 1-based positions when they are among the request's candidates (they passed
    /// the query's retrieval and hard filters); a pin the query did not find is not injected.</summary>
    public List<PinnedPin> Pinned { get; set; } = [];

    public OutOfStockMode OutOfStock { get; set; } = OutOfStockMode.Bottom;

    /// <summary>For <see cref="OutOfStockMode.Penalty"/>: the share of the score range an out-of-stock pin loses.</summary>
    public double OutOfStockPenalty { get; set; } = 0.5;
}

public sealed class PinnedPin
{
    public string PinId { get; set; } = "";

    /// <summary>1-based position in the ranked list (across pages).</summary>
    public int Position { get; set; }
}

/// <summary>Checks every rule set at start: non-negative weights, positions from 1, no pin pinned twice or two pins
/// at one position, no empty ids.</summary>
public sealed class RankingRulesOptionsValidator : IValidateOptions<RankingRulesOptions>
{
    public ValidateOptionsResult Validate(string? name, RankingRulesOptions options)
    {
        var errors = new List<string>();
        Check($"{RankingRulesOptions.Section}:Default", options.Default, errors);
        foreach (var (tenant, rules) in options.Tenants)
        {
            Check($"{RankingRulesOptions.Section}:Tenants:{tenant}", rules, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(string path, RuleSet rules, List<string> errors)
    {
        NonNegative(rules.BoostWeight, $"{path}:BoostWeight", errors);
        NonNegative(rules.BuryWeight, $"{path}:BuryWeight", errors);
        NonNegative(rules.OutOfStockPenalty, $"{path}:OutOfStockPenalty", errors);
        if (!Enum.IsDefined(rules.OutOfStock))
        {
            errors.Add($"{path}:OutOfStock must be None, Bottom or Penalty.");
        }

        foreach (var (list, field) in new[]
                 {
                     (rules.BoostPins, "BoostPins"), (rules.BoostBrands, "BoostBrands"), (rules.BoostCategories, "BoostCategories"),
                     (rules.BuryPins, "BuryPins"), (rules.BuryBrands, "BuryBrands"), (rules.BuryCategories, "BuryCategories"),
                 })
        {
            if (list.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{path}:{field} must not hold empty entries.");
            }
        }

        foreach (var pin in rules.Pinned)
        {
            if (string.IsNullOrWhiteSpace(pin.PinId))
            {
                errors.Add($"{path}:Pinned entries need a PinId.");
            }

            if (pin.Position < 1)
            {
                errors.Add($"{path}:Pinned position of '{pin.PinId}' must be >= 1 (got {pin.Position}).");
            }
        }

        if (rules.Pinned.GroupBy(p => p.PinId, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            errors.Add($"{path}:Pinned holds a pin more than once.");
        }

        if (rules.Pinned.GroupBy(p => p.Position).Any(g => g.Count() > 1))
        {
            errors.Add($"{path}:Pinned puts two pins at one position.");
        }
    }

    private static void NonNegative(double value, string path, List<string> errors)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            errors.Add($"{path} must be a finite number >= 0 (got {value}).");
        }
    }
}
