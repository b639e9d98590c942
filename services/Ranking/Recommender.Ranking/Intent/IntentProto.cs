using ProtoIntent = Recommender.Contracts.Ranking.V1.Intent;
using ProtoSort = Recommender.Contracts.Ranking.V1.SortPreference;

namespace Recommender.Ranking.Intent;

/// <summary>The intent as the storefront receives it with every search: every slot and the spans they came from.</summary>
public static class IntentProto
{
    public static ProtoIntent ToProto(ShoppingIntent intent)
    {
        var proto = new ProtoIntent
        {
            NormalizedQuery = intent.NormalizedQuery,
            Text = intent.Text,
            Category = intent.Category ?? "",
            CategoryConfidence = (float)intent.CategoryConfidence,
            Colour = intent.Colour ?? "",
            Material = intent.Material ?? "",
            Size = intent.Size ?? "",
            Currency = intent.Currency,
            Sort = (ProtoSort)(int)intent.Sort,
            PriceSensitive = intent.PriceSensitive,
            BrandsRequired = intent.BrandsRequired,
            ParsedBy = intent.Parser,
        };
        if (intent.PriceMin is { } min)
        {
            proto.PriceMin = min;
        }

        if (intent.PriceMax is { } max)
        {
            proto.PriceMax = max;
        }

        proto.Brands.Add(intent.Brands);
        proto.ExcludedBrands.Add(intent.ExcludedBrands);
        proto.NegatedTerms.Add(intent.NegatedTerms);
        proto.Spans.Add(intent.Spans.Select(s => new Contracts.Ranking.V1.IntentSpan { Slot = s.Slot, Start = s.Start, Length = s.Length, Value = s.Value }));
        return proto;
    }
}
