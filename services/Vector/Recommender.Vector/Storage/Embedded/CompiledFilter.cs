namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// A <see cref="VectorFilter"/> compiled against the store's keyword table: conditions test precomputed int ids and
/// the price of an entry, with no allocation or string hashing per candidate. Semantics (shared with the Qdrant
/// backend): every must holds, no must_not holds, and at least one should holds when there are any.
/// </summary>
internal abstract class CompiledFilter
{
    public abstract bool Matches(Segment.Entry entry);

    /// <summary>Null when the filter is absent or empty (everything passes).</summary>
    public static CompiledFilter? Compile(VectorFilter? filter, KeywordTable keywords) =>
        filter is null || filter.IsEmpty ? null : CompileFilter(filter, keywords);

    private static CompiledFilter CompileFilter(VectorFilter filter, KeywordTable keywords) => new BoolNode(
        filter.Must.Select(c => CompileCondition(c, keywords)).ToArray(),
        filter.Should.Select(c => CompileCondition(c, keywords)).ToArray(),
        filter.MustNot.Select(c => CompileCondition(c, keywords)).ToArray());

    private static CompiledFilter CompileCondition(FilterCondition condition, KeywordTable keywords) => condition switch
    {
        KeywordCondition { Field: FilterFields.Id } k => new IdNode(k.Any.ToHashSet(StringComparer.Ordinal)),
        KeywordCondition { Field: FilterFields.InStock } k => new InStockNode(
            k.Any.Any(v => FilterFields.NormalizeKeyword(v) == "true"),
            k.Any.Any(v => FilterFields.NormalizeKeyword(v) == "false")),
        KeywordCondition k => new KeywordNode(
            k.Field switch
            {
                FilterFields.Brand => KeywordField.Brand,
                FilterFields.Colour => KeywordField.Colour,
                FilterFields.Category => KeywordField.Category,
                _ => throw new ArgumentException($"'{k.Field}' is not a keyword field."),
            },
            k.Any.Select(v => keywords.Find(FilterFields.NormalizeKeyword(v))).Where(id => id != KeywordTable.Unknown).Distinct().ToArray()),
        RangeCondition { Field: FilterFields.Price } r => new PriceRangeNode(r.Gt, r.Gte, r.Lt, r.Lte),
        RangeCondition r => throw new ArgumentException($"'{r.Field}' is not a numeric field."),
        NestedCondition n => n.Filter.IsEmpty ? new BoolNode([], [], []) : CompileFilter(n.Filter, keywords),
        _ => throw new ArgumentException($"Unsupported condition {condition.GetType().Name}."),
    };

    private enum KeywordField
    {
        Brand,
        Colour,
        Category,
    }

    private sealed class BoolNode(CompiledFilter[] must, CompiledFilter[] should, CompiledFilter[] mustNot) : CompiledFilter
    {
        public override bool Matches(Segment.Entry entry)
        {
            foreach (var c in must)
            {
                if (!c.Matches(entry))
                {
                    return false;
                }
            }

            foreach (var c in mustNot)
            {
                if (c.Matches(entry))
                {
                    return false;
                }
            }

            if (should.Length == 0)
            {
                return true;
            }

            foreach (var c in should)
            {
                if (c.Matches(entry))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private sealed class KeywordNode(KeywordField field, int[] ids) : CompiledFilter
    {
        public override bool Matches(Segment.Entry entry)
        {
            switch (field)
            {
                case KeywordField.Brand:
                    return Array.IndexOf(ids, entry.BrandId) >= 0;
                case KeywordField.Colour:
                    return Array.IndexOf(ids, entry.ColourId) >= 0;
                default:
                    foreach (var category in entry.CategoryIds)
                    {
                        if (Array.IndexOf(ids, category) >= 0)
                        {
                            return true;
                        }
                    }

                    return false;
            }
        }
    }

    private sealed class InStockNode(bool inStock, bool outOfStock) : CompiledFilter
    {
        public override bool Matches(Segment.Entry entry) => entry.InStock ? inStock : outOfStock;
    }

    private sealed class IdNode(HashSet<string> ids) : CompiledFilter
    {
        public override bool Matches(Segment.Entry entry) => ids.Contains(entry.Point.Pin.Id);
    }

    private sealed class PriceRangeNode(double? gt, double? gte, double? lt, double? lte) : CompiledFilter
    {
        // A missing price is NaN: every comparison with NaN is false, and the explicit check covers "no bounds".
        public override bool Matches(Segment.Entry entry)
        {
            var p = entry.Price;
            return !double.IsNaN(p)
                && (gt is not { } a || p > a)
                && (gte is not { } b || p >= b)
                && (lt is not { } c || p < c)
                && (lte is not { } d || p <= d);
        }
    }
}
