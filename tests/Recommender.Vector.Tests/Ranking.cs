using Recommender.Vector.Storage;

namespace Recommender.Vector.Tests;

/// <summary>Compares rankings "within float ties": the ids must be the same and in the same order, except that
/// neighbours whose scores differ by less than <see cref="Tolerance"/> may swap (a different SIMD summation order
/// can flip them).</summary>
public static class Ranking
{
    public const float Tolerance = 2e-5f;

    public static void AssertSame(IReadOnlyList<(string Id, float Score)> expected, IReadOnlyList<SearchHit> actual, string because = "")
    {
        var got = actual.Select(h => (h.Point.Pin.Id, h.Score)).ToList();
        AssertSame(expected, got, because);
    }

    public static void AssertSame(IReadOnlyList<(string Id, float Score)> expected, IReadOnlyList<(string Id, float Score)> actual, string because = "")
    {
        var message = $"{because}\nexpected: {Describe(expected)}\nactual:   {Describe(actual)}";
        Assert.True(expected.Count == actual.Count, message);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - actual[i].Score) <= Tolerance, $"score at {i} differs. {message}");
            if (expected[i].Id == actual[i].Id)
            {
                continue;
            }

            // Allowed only inside a group of near-equal scores that holds the same ids on both sides.
            var groupExpected = expected.Where(e => Math.Abs(e.Score - expected[i].Score) <= Tolerance).Select(e => e.Id).ToHashSet();
            Assert.True(groupExpected.Contains(actual[i].Id), $"order differs at {i} beyond float ties. {message}");
        }

        Assert.Equal(expected.Select(e => e.Id).Order(), actual.Select(a => a.Id).Order());
    }

    private static string Describe(IEnumerable<(string Id, float Score)> items) =>
        string.Join(", ", items.Select(i => $"{i.Id}:{i.Score:F6}"));
}
