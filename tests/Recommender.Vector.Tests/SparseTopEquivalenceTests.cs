using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>
/// <see cref="Segment.SparseTop"/> against a brute-force reference of the sparse branch: every live selected pin is
/// scored by itself, term contributions added in query-term order (the float operation order of the postings walk:
/// weight = IDF * query value, score = 0 + weight * value for each matching term occurrence), ties by ordinal pin id.
/// Catalogs are randomized with few distinct weights (many equal scores), duplicate terms, overwritten and deleted
/// pins (stale postings, reused slots), a second tenant sharing the IDF statistics, filters and limits 1..300.
/// Hits, scores (bit for bit) and order must be identical.
/// </summary>
public sealed class SparseTopEquivalenceTests
{
    private static readonly float[] DocumentWeights = [0.5f, 0.75f, 1f, 1.25f, 0.8333333f, 1.1f];
    private static readonly float[] QueryWeights = [1f, 1f, 1f, 0.5f, 2f, 0.3f];

    [Theory]
    [InlineData(1, 400, 12, false)]
    [InlineData(2, 1_500, 40, false)]
    [InlineData(3, 3_000, 25, true)]
    [InlineData(4, 800, 6, true)]
    [InlineData(5, 5_000, 200, false)]
    public void SparseTop_RandomCatalogsAndQueries_EqualsBruteForce(int seed, int pins, int vocabulary, bool negativeWeights)
    {
        var random = new Random(seed);
        var (segment, other, keywords, terms) = BuildCatalog(random, pins, vocabulary, negativeWeights);
        var checkedHits = 0;
        for (var round = 0; round < 150; round++)
        {
            if (round == 75)
            {
                // After searches ranked the ids (large segments): new ids arrive unranked, freed slots are reused.
                Churn(segment, random, pins, 200, pins, vocabulary, negativeWeights);
            }

            var query = RandomQuery(random, vocabulary, negativeWeights && round % 5 == 0);
            var limit = round % 10 == 0 ? 300 : 1 + random.Next(round % 3 == 0 ? 300 : 30);
            var (filter, excluded) = RandomSelection(random, segment, round);
            using var selection = segment.Select(filter is null ? null : CompiledFilter.Compile(filter, keywords), excluded);

            var expected = Reference(segment, terms, query, selection, limit);
            var actual = segment.SparseTop(query, selection, limit);

            Assert.Equal(Describe(expected), Describe(actual.Select(h => (h.Entry.Point.Pin.Id, h.Score)).ToList()));
            checkedHits += expected.Count;
        }

        // The catalog and queries must produce real work (and ties), or the comparison proves nothing.
        Assert.True(checkedHits > 1_000, $"only {checkedHits} hits compared");
        Assert.True(other.Count > 0);
    }

    [Fact]
    public void SparseTop_SingleTermQueryWithThousandsOfTies_OrdersTiesByPinId()
    {
        var keywords = new KeywordTable();
        var terms = new TermStats();
        var segment = new Segment(4, keywords, terms, new EmbeddedStoreOptions());
        var random = new Random(11);
        for (var i = 0; i < 4_000; i++)
        {
            // Inserted in shuffled id order, so slot order is not id order; three weights, so long runs of ties.
            var pin = new PinData { Id = Id(random.Next(1_000_000)), Tenant = "a", Title = "t", Version = 1 };
            segment.Upsert(new StoredPoint(pin, [1f, 0f, 0f, 0f], new SparseVector([7, 9], [DocumentWeights[i % 3], 1f]), "v"));
        }

        var query = new SparseVector([7], [1f]);

        var expected = Reference(segment, terms, query, null, 200);
        var actual = segment.SparseTop(query, null, 200);

        Assert.True(expected.Count(e => e.Score == expected[^1].Score) > 150, "the limit should cut a long run of equal scores");
        Assert.Equal(Describe(expected), Describe(actual.Select(h => (h.Entry.Point.Pin.Id, h.Score)).ToList()));
    }

    [Fact]
    public void SparseTop_TiesAmongPinsAddedAfterTheIdRanks_OrdersTiesByPinId()
    {
        var keywords = new KeywordTable();
        var terms = new TermStats();
        var segment = new Segment(4, keywords, terms, new EmbeddedStoreOptions());
        var random = new Random(12);
        for (var i = 0; i < 3_000; i++)
        {
            segment.Upsert(new StoredPoint(new PinData { Id = Id(random.Next(1_000_000)), Tenant = "a", Title = "t", Version = 1 },
                [1f, 0f, 0f, 0f], new SparseVector([7], [DocumentWeights[i % 3]]), "v"));
        }

        // The first search ranks the ids; the pins added afterwards (too few for a rebuild) have no rank, so their ties
        // are ordered by comparing ids, among ranked ones.
        var query = new SparseVector([7], [1f]);
        segment.SparseTop(query, null, 10);
        var added = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 150; i++)
        {
            var id = Id(1_000_000 + random.Next(1_000_000));
            added.Add(id);
            segment.Upsert(new StoredPoint(new PinData { Id = id, Tenant = "a", Title = "t", Version = 1 },
                [1f, 0f, 0f, 0f], new SparseVector([7], [DocumentWeights[2]]), "v"));
        }

        var expected = Reference(segment, terms, query, null, 400);
        var actual = segment.SparseTop(query, null, 400);

        Assert.True(expected.Count(e => e.Score == expected[0].Score) > 300, "the page should be one long run of equal scores");
        Assert.True(expected.Count(e => added.Contains(e.Id)) > 10, "unranked pins should take part in the ties");
        Assert.Equal(Describe(expected), Describe(actual.Select(h => (h.Entry.Point.Pin.Id, h.Score)).ToList()));
    }

    [Fact]
    public void SparseTop_UnknownTermsOnly_ReturnsNothing()
    {
        var segment = BuildCatalog(new Random(3), 100, 5, negativeWeights: false).Segment;

        Assert.Empty(segment.SparseTop(new SparseVector([1_000, 2_000], [1f, 1f]), null, 10));
    }

    /// <summary>Two tenants' segments sharing the store-wide keyword table and term statistics.</summary>
    private static (Segment Segment, Segment Other, KeywordTable Keywords, TermStats Terms) BuildCatalog(
        Random random, int pins, int vocabulary, bool negativeWeights)
    {
        var keywords = new KeywordTable();
        var terms = new TermStats();
        var options = new EmbeddedStoreOptions();
        var segment = new Segment(4, keywords, terms, options);
        var other = new Segment(4, keywords, terms, options);
        for (var i = 0; i < pins; i++)
        {
            segment.Upsert(Point("a", i, 1, random, vocabulary, negativeWeights));
            if (i % 4 == 0)
            {
                other.Upsert(Point("b", i, 1, random, vocabulary, negativeWeights));
            }
        }

        Churn(segment, random, pins, pins / 3, 2, vocabulary, negativeWeights);
        other.Delete(Id(0), 5);
        return (segment, other, keywords, terms);
    }

    /// <summary>Overwrites (stale postings), deletes (freed slots) and new pins (into freed slots or new ones).</summary>
    private static void Churn(Segment segment, Random random, int pins, int changes, long version, int vocabulary, bool negativeWeights)
    {
        for (var i = 0; i < changes; i++)
        {
            var pin = random.Next(pins);
            switch (random.Next(3))
            {
                case 0:
                    segment.Upsert(Point("a", pin, version + i, random, vocabulary, negativeWeights));
                    break;
                case 1:
                    segment.Delete(Id(pin), version + i);
                    break;
                default:
                    segment.Upsert(Point("a", (int)((pins * (version + 1)) + i), 1, random, vocabulary, negativeWeights));
                    break;
            }
        }
    }

    private static string Id(int i) => $"pin-{i % 97:D2}-{i}";

    private static StoredPoint Point(string tenant, int i, long version, Random random, int vocabulary, bool negativeWeights)
    {
        // A few distinct weights and a skewed vocabulary: many pins share terms and equal scores.
        var count = random.Next(8) == 0 ? 0 : 1 + random.Next(6);
        var indices = new int[count];
        var values = new float[count];
        for (var t = 0; t < count; t++)
        {
            indices[t] = (int)(vocabulary * Math.Pow(random.NextDouble(), 2));
            values[t] = negativeWeights && random.Next(10) == 0 ? -DocumentWeights[random.Next(DocumentWeights.Length)] : DocumentWeights[random.Next(DocumentWeights.Length)];
        }

        if (random.Next(2) == 0)
        {
            // Sorted and unique, as the sparse encoder writes them; otherwise unsorted with possible repeats.
            var unique = indices.Distinct().Order().ToArray();
            values = values.Take(unique.Length).ToArray();
            indices = unique;
        }

        var pin = new PinData
        {
            Id = Id(i),
            Tenant = tenant,
            Title = "t",
            Brand = random.Next(4) == 0 ? "Acme" : "Other",
            Colour = "red",
            CategoryPath = ["c"],
            Price = random.Next(100),
            InStock = random.Next(3) != 0,
            Version = version,
        };
        return new StoredPoint(pin, [1f, 0f, 0f, 0f], new SparseVector(indices, values), "v");
    }

    private static SparseVector RandomQuery(Random random, int vocabulary, bool negative)
    {
        var count = 1 + random.Next(random.Next(4) == 0 ? 8 : 3);
        var indices = new int[count];
        var values = new float[count];
        for (var t = 0; t < count; t++)
        {
            // Mostly known terms (skewed to the common ones), sometimes an unknown term or a repeated one.
            indices[t] = random.Next(12) == 0 ? vocabulary + random.Next(5) : (int)(vocabulary * Math.Pow(random.NextDouble(), 1.5));
            values[t] = negative && t == 0 ? -1f : QueryWeights[random.Next(QueryWeights.Length)];
        }

        if (random.Next(3) != 0)
        {
            var unique = indices.Distinct().Order().ToArray();
            values = values.Take(unique.Length).ToArray();
            indices = unique;
        }

        return new SparseVector(indices, values);
    }

    private static (VectorFilter? Filter, IReadOnlyCollection<string>? Excluded) RandomSelection(Random random, Segment segment, int round) =>
        (round % 4) switch
        {
            0 => (null, null),
            1 => (new VectorFilter([new KeywordCondition(FilterFields.InStock, ["true"])], [], []), null),
            2 => (new VectorFilter([new KeywordCondition(FilterFields.Brand, ["acme"])], [], []), null),
            _ => (new VectorFilter([new RangeCondition(FilterFields.Price, null, null, null, 10 + random.Next(80))], [], []),
                segment.Entries.Where(_ => random.Next(10) == 0).Select(e => e.Point.Pin.Id).ToList()),
        };

    /// <summary>The sparse branch by brute force over the live pins, in the float operation order of the current
    /// postings walk.</summary>
    private static List<(string Id, float Score)> Reference(Segment segment, TermStats terms, SparseVector query, Selection? selection, int limit)
    {
        var scored = new List<(string Id, float Score)>();
        foreach (var entry in segment.Entries)
        {
            if (selection is not null && !selection.Contains(entry.Slot))
            {
                continue;
            }

            var sparse = entry.Point.Sparse;
            var touched = false;
            var score = 0f;
            for (var q = 0; q < query.Count; q++)
            {
                var weight = TermStats.Idf(terms.Documents, terms.DocumentFrequency(query.Indices[q])) * query.Values[q];
                for (var i = 0; i < sparse.Count; i++)
                {
                    if (sparse.Indices[i] == query.Indices[q])
                    {
                        touched = true;
                        score += weight * sparse.Values[i];
                    }
                }
            }

            if (touched)
            {
                scored.Add((entry.Point.Pin.Id, score));
            }
        }

        scored.Sort(static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Id, b.Id);
        });
        return scored.Take(limit).ToList();
    }

    private static List<string> Describe(List<(string Id, float Score)> hits) =>
        hits.Select(h => $"{h.Id} {BitConverter.SingleToInt32Bits(h.Score):X8} ({h.Score})").ToList();
}
