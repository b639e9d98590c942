using System.Buffers;
using System.Runtime.Intrinsics;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// A <see cref="VectorFilter"/> compiled against the store's keyword table and evaluated column by column into a
/// bitmap over a segment's slots (one bit per slot): tight loops over contiguous arrays, no allocation or string
/// hashing per pin. Semantics (shared with the Qdrant backend): every must holds, no must_not holds, and at least one
/// should holds when there are any. Bits of free slots may be set; the segment masks them with its live slots.
/// </summary>
internal abstract class CompiledFilter
{
    /// <summary>Writes this filter's matches into <paramref name="result"/> (every word of it).</summary>
    public abstract void Evaluate(Segment segment, Span<ulong> result);

    /// <summary>Null when the filter is absent or empty (everything passes).</summary>
    public static CompiledFilter? Compile(VectorFilter? filter, KeywordTable keywords) =>
        filter is null || filter.IsEmpty ? null : CompileFilter(filter, keywords);

    private static BoolNode CompileFilter(VectorFilter filter, KeywordTable keywords) => new(
        filter.Must.Select(c => CompileCondition(c, keywords)).ToArray(),
        filter.Should.Select(c => CompileCondition(c, keywords)).ToArray(),
        filter.MustNot.Select(c => CompileCondition(c, keywords)).ToArray());

    private static CompiledFilter CompileCondition(FilterCondition condition, KeywordTable keywords) => condition switch
    {
        KeywordCondition { Field: FilterFields.Id } k => new IdNode([.. k.Any.Distinct(StringComparer.Ordinal)]),
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
        RangeCondition { Field: FilterFields.Price } r => new PriceRangeNode(
            r.Gt ?? double.NegativeInfinity, r.Gt is not null, r.Gte ?? double.NegativeInfinity,
            r.Lt ?? double.PositiveInfinity, r.Lt is not null, r.Lte ?? double.PositiveInfinity),
        RangeCondition r => throw new ArgumentException($"'{r.Field}' is not a numeric field."),
        NestedCondition n => CompileFilter(n.Filter, keywords),
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
        public override void Evaluate(Segment segment, Span<ulong> result)
        {
            result.Fill(ulong.MaxValue);
            if (must.Length + should.Length + mustNot.Length == 0)
            {
                return;
            }

            var buffer = ArrayPool<ulong>.Shared.Rent(result.Length * 2);
            try
            {
                var part = buffer.AsSpan(0, result.Length);
                var any = buffer.AsSpan(result.Length, result.Length);
                foreach (var c in must)
                {
                    c.Evaluate(segment, part);
                    for (var w = 0; w < result.Length; w++)
                    {
                        result[w] &= part[w];
                    }
                }

                foreach (var c in mustNot)
                {
                    c.Evaluate(segment, part);
                    for (var w = 0; w < result.Length; w++)
                    {
                        result[w] &= ~part[w];
                    }
                }

                if (should.Length > 0)
                {
                    any.Clear();
                    foreach (var c in should)
                    {
                        c.Evaluate(segment, part);
                        for (var w = 0; w < result.Length; w++)
                        {
                            any[w] |= part[w];
                        }
                    }

                    for (var w = 0; w < result.Length; w++)
                    {
                        result[w] &= any[w];
                    }
                }
            }
            finally
            {
                ArrayPool<ulong>.Shared.Return(buffer);
            }
        }
    }

    private sealed class KeywordNode(KeywordField field, int[] ids) : CompiledFilter
    {
        public override void Evaluate(Segment segment, Span<ulong> result)
        {
            result.Clear();
            var columns = segment.Columns;
            foreach (var id in ids)
            {
                switch (field)
                {
                    case KeywordField.Brand:
                        columns.MatchBrand(id, result);
                        break;
                    case KeywordField.Colour:
                        columns.MatchColour(id, result);
                        break;
                    default:
                        columns.MatchCategory(id, result);
                        break;
                }
            }
        }
    }

    private sealed class InStockNode(bool inStock, bool outOfStock) : CompiledFilter
    {
        public override void Evaluate(Segment segment, Span<ulong> result)
        {
            var bits = segment.Columns.InStockBits;
            for (var w = 0; w < result.Length; w++)
            {
                var stocked = w < bits.Length ? bits[w] : 0;
                result[w] = (inStock ? stocked : 0) | (outOfStock ? ~stocked : 0);
            }
        }
    }

    private sealed class IdNode(string[] ids) : CompiledFilter
    {
        public override void Evaluate(Segment segment, Span<ulong> result)
        {
            result.Clear();
            foreach (var id in ids)
            {
                if (segment.TryGetSlot(id, out var slot) && slot < result.Length * 64)
                {
                    result[slot >> 6] |= 1UL << slot;
                }
            }
        }
    }

    /// <summary>A missing price is NaN: every comparison with NaN is false, so such pins never match. Absent bounds
    /// are infinities. Four prices per SIMD compare.</summary>
    private sealed class PriceRangeNode(double gt, bool hasGt, double gte, double lt, bool hasLt, double lte) : CompiledFilter
    {
        public override void Evaluate(Segment segment, Span<ulong> result)
        {
            result.Clear();
            var column = segment.Columns.Price;
            var slots = Math.Min(column.Length, result.Length * 64);
            var slot = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vGt = Vector256.Create(hasGt ? gt : double.NegativeInfinity);
                var vGte = Vector256.Create(gte);
                var vLt = Vector256.Create(hasLt ? lt : double.PositiveInfinity);
                var vLte = Vector256.Create(lte);
                for (; slot + 4 <= slots; slot += 4)
                {
                    var p = Vector256.Create(column.Slice(slot, 4));
                    var inside = (hasGt ? Vector256.GreaterThan(p, vGt) : Vector256.GreaterThanOrEqual(p, vGt))
                        & Vector256.GreaterThanOrEqual(p, vGte)
                        & (hasLt ? Vector256.LessThan(p, vLt) : Vector256.LessThanOrEqual(p, vLt))
                        & Vector256.LessThanOrEqual(p, vLte);
                    result[slot >> 6] |= (ulong)inside.ExtractMostSignificantBits() << slot;
                }
            }

            for (; slot < slots; slot++)
            {
                var p = column[slot];
                if ((hasGt ? p > gt : p >= gt) && p >= gte && (hasLt ? p < lt : p <= lt) && p <= lte)
                {
                    result[slot >> 6] |= 1UL << slot;
                }
            }
        }
    }
}
