using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>The quantised dense scan: approximate scores of every selected slot, a shortlist, its int8 estimates of the
/// cosine or exact rescoring.</summary>
internal sealed partial class Segment
{
    /// <summary>Slots sampled for the shortlist's score bar: every this many.</summary>
    private const int BarStride = 16;

    /// <summary>Float rows fetched ahead while rescoring (each is dimensions x 4 bytes, scattered).</summary>
    private const int RescorePrefetch = 8;

    /// <summary>The calling thread's top-k for <see cref="Finish"/> (filled and drained within one call).</summary>
    [ThreadStatic]
    private static SlotTopK? s_finishTop;

    /// <summary>
    /// Top <paramref name="limit"/> by cosine, approximately: every selected slot gets an approximate score (the 4-bit
    /// codes or the int8 rows), the best of those are kept as keys (<see cref="ShortlistKeys"/>), after a 4-bit pass the
    /// int8 copies narrow them to the shortlist, and <see cref="Finish"/> ranks it (int8 estimates, or float rescoring).
    /// </summary>
    private List<(Entry Entry, float Score)> QuantizedTop(float[] query, Selection? selection, int limit, PreparedQuery? prepared = null)
    {
        var quantized = _quantized!;
        var q = prepared ?? new PreparedQuery(query);
        var selected = selection?.Count ?? _entries.Count;
        var shortlist = Math.Min(selected, Math.Max(limit * _options.RescoreFactor, limit + 64));

        // A short query scores whole slot ranges column by column, reading one byte per slot for each of its non-zero
        // dimensions; that beats reading every dimension of each selected vector unless the selection is small. Then,
        // or when more than half the slots are selected, slots are walked in order with a bitmap test (a sequential
        // stream); a sparser selection is walked through its list of slots.
        var byColumns = QuantizedVectors.PrefersColumns(q)
            && (selection is null || (long)q.NonZeroDimensions.Length * _entries.Count <= (long)selection.Count * _dimensions);
        var dense = byColumns || selection is null || selection.Count * 2 > _entries.Count;

        // A row walk over the slots first scores the 4-bit codes (half the bytes of the int8 rows) and keeps
        // CoarseFactor times the shortlist; the int8 copies then pick the shortlist from those.
        var coarse = dense && !byColumns && quantized.HasNibbles && _options.CoarseFactor > 0 && selected > shortlist;
        var keep = coarse ? Math.Min(selected, shortlist * _options.CoarseFactor) : shortlist;
        var count = dense ? _entries.Count : selected;
        var partitions = Partitions(count, QuantizedParallelThreshold);
        var parts = new KeyBuffer[partitions];

        // One partition (every segment below QuantizedParallelThreshold, or the cores busy) runs inline, without the
        // Parallel.For machinery (its task replicas and options) on every search.
        if (partitions == 1)
        {
            ScorePart(0);
        }
        else
        {
            Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, ScorePart);
        }

        void ScorePart(int p)
        {
            var from = (int)((long)count * p / partitions);
            var to = (int)((long)count * (p + 1) / partitions);
            var scores = ArrayPool<int>.Shared.Rent(Math.Max(1, to - from));
            try
            {
                if (byColumns)
                {
                    quantized.ScoreRange(from, to, q, scores);
                }
                else if (coarse)
                {
                    quantized.ScoreNibbleRows(from, to, q, scores);
                }
                else if (dense)
                {
                    quantized.ScoreRows(from, to, q, scores);
                }
                else
                {
                    quantized.ScoreSlots(selection!.Slots.AsSpan(from, to - from), q, scores);
                }

                // Approximate scores compare as q·v * scale(v); the query's scale is common to all, so it is left out.
                var approx = MemoryMarshal.Cast<int, float>(scores.AsSpan(0, to - from));
                var scales = coarse ? quantized.NibbleScales : quantized.Scales;
                if (dense)
                {
                    ToApproximate(scores.AsSpan(0, to - from), scales.AsSpan(from, to - from));
                }
                else
                {
                    for (var i = from; i < to; i++)
                    {
                        approx[i - from] = scores[i - from] * scales[selection!.Slots[i]];
                    }
                }

                parts[p] = Collect(approx, from, dense ? null : selection!.Slots, selection, keep);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(scores);
            }
        }

        var candidates = parts[0];
        for (var p = 1; p < partitions; p++)
        {
            candidates.AddRange(parts[p].Keys);
            parts[p].Dispose();
        }

        using (candidates)
        {
            candidates.KeepTop(keep);
            if (coarse)
            {
                Refine(candidates, q, shortlist);
            }

            return Finish(candidates.Keys, query, q, limit);
        }
    }

    /// <summary>scores[i] (an int) becomes scores[i] * scales[i] (a float) in place.</summary>
    private static void ToApproximate(Span<int> scores, ReadOnlySpan<float> scales)
    {
        var approx = MemoryMarshal.Cast<int, float>(scores);
        var i = 0;
        for (; i + Vector256<int>.Count <= scores.Length; i += Vector256<int>.Count)
        {
            (Vector256.ConvertToSingle(Vector256.Create(scores.Slice(i, Vector256<int>.Count))) * Vector256.Create(scales.Slice(i, Vector256<float>.Count)))
                .CopyTo(approx.Slice(i, Vector256<float>.Count));
        }

        for (; i < scores.Length; i++)
        {
            approx[i] = scores[i] * scales[i];
        }
    }

    /// <summary>
    /// The keys of the live (or selected) slots whose approximate score is at least a bar that about 1.5 x
    /// <paramref name="keep"/> of them reach (estimated from every <see cref="BarStride"/>th slot), so few keys are
    /// collected and eight slots at a time are skipped. When fewer than <paramref name="keep"/> reach the bar (or the
    /// range is too small to sample), every live slot is collected: the caller's select then keeps exactly what a scan
    /// keeping the best <paramref name="keep"/> would. <paramref name="slots"/> maps positions to slots for a walk
    /// over a selection's list (null: position <paramref name="from"/> + i is the slot).
    /// </summary>
    private KeyBuffer Collect(ReadOnlySpan<float> approx, int from, int[]? slots, Selection? selection, int keep)
    {
        var keys = new KeyBuffer(keep * 2);
        var bar = EstimateBar(approx, from, slots, selection, keep);
        CollectAbove(approx, from, slots, selection, bar, keys);
        if (keys.Count < keep && bar > float.NegativeInfinity)
        {
            keys.Clear();
            CollectAbove(approx, from, slots, selection, float.NegativeInfinity, keys);
        }

        return keys;
    }

    private void CollectAbove(ReadOnlySpan<float> approx, int from, int[]? slots, Selection? selection, float bar, KeyBuffer keys)
    {
        var i = 0;
        var threshold = Vector256.Create(bar);
        for (; i + 8 <= approx.Length; i += 8)
        {
            if (!Vector256.GreaterThanOrEqualAny(Vector256.Create(approx.Slice(i, 8)), threshold))
            {
                continue;
            }

            for (var k = i; k < i + 8; k++)
            {
                Add(approx[k], k);
            }
        }

        for (; i < approx.Length; i++)
        {
            Add(approx[i], i);
        }

        void Add(float score, int at)
        {
            if (score < bar)
            {
                return;
            }

            var slot = slots is null ? from + at : slots[from + at];
            if (slots is not null || (selection is null ? IsLive(slot) : selection.Contains(slot)))
            {
                keys.Add(ShortlistKeys.Key(score, slot));
            }
        }
    }

    /// <summary>A score that about 1.5 x <paramref name="keep"/> of the live (or selected) slots reach, from every
    /// <see cref="BarStride"/>th position; negative infinity when the range is too small to sample. Only an estimate:
    /// <see cref="Collect"/> checks that enough reached it.</summary>
    private float EstimateBar(ReadOnlySpan<float> approx, int from, int[]? slots, Selection? selection, int keep)
    {
        var samples = approx.Length / BarStride;
        var rank = (keep * 3 / 2 / BarStride) + 1;
        if (samples < rank * 4)
        {
            return float.NegativeInfinity;
        }

        // The `rank` best samples, kept sorted descending (few samples beat the last kept one).
        Span<float> best = stackalloc float[rank];
        best.Fill(float.NegativeInfinity);
        for (var at = 0; at < approx.Length; at += BarStride)
        {
            var score = approx[at];
            if (score <= best[rank - 1])
            {
                continue;
            }

            var slot = from + at;
            if (slots is null && !(selection is null ? IsLive(slot) : selection.Contains(slot)))
            {
                continue;
            }

            var k = rank - 1;
            for (; k > 0 && best[k - 1] < score; k--)
            {
                best[k] = best[k - 1];
            }

            best[k] = score;
        }

        return best[rank - 1];
    }

    /// <summary>Rescores the 4-bit pass's candidates with the int8 rows and keeps the best <paramref name="shortlist"/>.</summary>
    private void Refine(KeyBuffer candidates, PreparedQuery q, int shortlist)
    {
        var quantized = _quantized!;
        var keys = candidates.Keys;
        for (var i = 0; i < keys.Length; i++)
        {
            if (i + RescorePrefetch < keys.Length)
            {
                // The candidates' rows are scattered: ask for a later one's now.
                MemoryPrefetch.Row<sbyte>(quantized.At(ShortlistKeys.Slot(keys[i + RescorePrefetch])));
            }

            var slot = ShortlistKeys.Slot(keys[i]);
            keys[i] = ShortlistKeys.Key(quantized.Score(slot, q), slot);
        }

        candidates.KeepTop(shortlist);
    }

    /// <summary>One slot's score against a dense query as the quantised dense search ranks it: on a quantised segment
    /// with <see cref="EmbeddedStoreOptions.FloatRescore"/> off, the int8 estimate of the cosine (the same number
    /// <see cref="Finish"/> gives that slot; one 1-byte-per-dimension row read instead of the 4-byte float row),
    /// else the exact dot product. <paramref name="prepared"/> is the quantised query, made on first use.</summary>
    public float DenseScore(int slot, float[] query, ref PreparedQuery? prepared)
    {
        if (_quantized is not { } quantized || _options.FloatRescore)
        {
            return TensorPrimitives.Dot(VectorAt(slot), query);
        }

        prepared ??= new PreparedQuery(query);
        return quantized.Score(slot, prepared) * prepared.Scale;
    }

    /// <summary>The top <paramref name="limit"/> of a shortlist whose keys hold int8 scores (dot x scale(v)): with
    /// <see cref="EmbeddedStoreOptions.FloatRescore"/> each slot rescored with its float vector (exact cosines), else
    /// ranked by those scores times the query's scale (the int8 estimate of the cosine; no row is read).</summary>
    private List<(Entry Entry, float Score)> Finish(ReadOnlySpan<ulong> shortlist, float[] query, PreparedQuery q, int limit)
    {
        // Kept by slot (ties by id rank), so neither an entry nor its id is read until the page is known.
        var top = s_finishTop ??= new SlotTopK();
        top.Reset(limit, _entries, CurrentIdRanks());
        if (!_options.FloatRescore)
        {
            foreach (var key in shortlist)
            {
                var score = ShortlistKeys.Score(key) * q.Scale;
                if (score >= top.Worst)
                {
                    top.Offer(ShortlistKeys.Slot(key), score);
                }
            }

            return top.Drain();
        }

        for (var i = 0; i < shortlist.Length; i++)
        {
            if (i + RescorePrefetch < shortlist.Length)
            {
                // The shortlist's float rows are scattered: fetch a later one's while this one is scored.
                MemoryPrefetch.Row(VectorAt(ShortlistKeys.Slot(shortlist[i + RescorePrefetch])));
            }

            var slot = ShortlistKeys.Slot(shortlist[i]);
            top.Offer(slot, TensorPrimitives.Dot(VectorAt(slot), query));
        }

        return top.Drain();
    }
}
