using Google.Protobuf.Collections;
using Grpc.Core;
using Recommender.Vector.Qdrant.Grpc;
using QFilter = Recommender.Vector.Qdrant.Grpc.Filter;

namespace Recommender.Vector.Tests.FakeQdrant;

/// <summary>Qdrant's query semantics as the fake implements them (filters, scoring, fusion, recommend).</summary>
public static class FakeSemantics
{
    public static bool Matches(QFilter? filter, FakePoint point)
    {
        if (filter is null)
        {
            return true;
        }

        if (filter.MinShould is not null)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "The fake does not do min_should."));
        }

        return filter.Must.All(c => Matches(c, point))
            && !filter.MustNot.Any(c => Matches(c, point))
            && (filter.Should.Count == 0 || filter.Should.Any(c => Matches(c, point)));
    }

    public static bool Matches(Condition condition, FakePoint point) => condition.ConditionOneOfCase switch
    {
        Condition.ConditionOneOfOneofCase.Field => FieldMatches(condition.Field, point.Payload),
        Condition.ConditionOneOfOneofCase.HasId => condition.HasId.HasId.Any(id => Canonical(id) == point.Id),
        Condition.ConditionOneOfOneofCase.Filter => Matches(condition.Filter, point),
        Condition.ConditionOneOfOneofCase.IsEmpty => !point.Payload.TryGetValue(condition.IsEmpty.Key, out var v) || IsEmpty(v),
        _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"The fake does not do {condition.ConditionOneOfCase} conditions.")),
    };

    public static string Canonical(PointId id) => id.PointIdOptionsCase switch
    {
        PointId.PointIdOptionsOneofCase.Uuid => Guid.Parse(id.Uuid).ToString("D"),
        PointId.PointIdOptionsOneofCase.Num => id.Num.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "A point id needs num or uuid.")),
    };

    /// <summary>Best first; equal scores by descending id (Qdrant leaves them unordered; clients must not rely on it).</summary>
    public static List<(FakePoint Point, float Score)> Order(IEnumerable<(FakePoint Point, float Score)> scored, bool tiesAscending) =>
        tiesAscending
            ? [.. scored.OrderByDescending(s => s.Score).ThenBy(s => s.Point.Id, StringComparer.Ordinal)]
            : [.. scored.OrderByDescending(s => s.Score).ThenByDescending(s => s.Point.Id, StringComparer.Ordinal)];

    public static float[] Normalize(IEnumerable<float> vector)
    {
        var v = vector.ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return norm > 0 ? v.Select(x => x / norm).ToArray() : v;
    }

    public static float Cosine(float[] normalizedA, float[] normalizedB)
    {
        var sum = 0f;
        for (var i = 0; i < normalizedA.Length; i++)
        {
            sum += normalizedA[i] * normalizedB[i];
        }

        return sum;
    }

    /// <summary>Sparse dot product with the query weights multiplied by IDF; null when no index is shared.</summary>
    public static float? SparseScore((uint[] Indices, float[] Values) query, (uint[] Indices, float[] Values) doc, Func<uint, float> idf)
    {
        float? score = null;
        for (var i = 0; i < query.Indices.Length; i++)
        {
            var at = Array.IndexOf(doc.Indices, query.Indices[i]);
            if (at >= 0)
            {
                score = (score ?? 0f) + (query.Values[i] * idf(query.Indices[i]) * doc.Values[at]);
            }
        }

        return score;
    }

    /// <summary>Qdrant's IDF in single precision: ln((N - n + 0.5) / (n + 0.5) + 1).</summary>
    public static float Idf(int n, int df) => MathF.Log(((n - df + 0.5f) / (df + 0.5f)) + 1f);

    private static bool FieldMatches(FieldCondition field, MapField<string, Value> payload)
    {
        var values = payload.TryGetValue(field.Key, out var value) ? Flatten(value).ToList() : [];
        if (field.Match is { } match)
        {
            return match.MatchValueCase switch
            {
                Match.MatchValueOneofCase.Keyword => values.Any(v => v.KindCase == Value.KindOneofCase.StringValue && v.StringValue == match.Keyword),
                Match.MatchValueOneofCase.Keywords => values.Any(v => v.KindCase == Value.KindOneofCase.StringValue && match.Keywords.Strings.Contains(v.StringValue)),
                Match.MatchValueOneofCase.ExceptKeywords => values.Any(v => v.KindCase == Value.KindOneofCase.StringValue && !match.ExceptKeywords.Strings.Contains(v.StringValue)),
                Match.MatchValueOneofCase.Integer => values.Any(v => v.KindCase == Value.KindOneofCase.IntegerValue && v.IntegerValue == match.Integer),
                Match.MatchValueOneofCase.Boolean => values.Any(v => v.KindCase == Value.KindOneofCase.BoolValue && v.BoolValue == match.Boolean),
                _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"The fake does not do {match.MatchValueCase} matches.")),
            };
        }

        if (field.Range is { } range)
        {
            return values.Any(v =>
            {
                double? number = v.KindCase switch
                {
                    Value.KindOneofCase.DoubleValue => v.DoubleValue,
                    Value.KindOneofCase.IntegerValue => v.IntegerValue,
                    _ => null,
                };
                return number is { } x
                    && (!range.HasGt || x > range.Gt) && (!range.HasGte || x >= range.Gte)
                    && (!range.HasLt || x < range.Lt) && (!range.HasLte || x <= range.Lte);
            });
        }

        throw new RpcException(new Status(StatusCode.InvalidArgument, $"Field condition on '{field.Key}' has neither match nor range."));
    }

    private static IEnumerable<Value> Flatten(Value value) =>
        value.KindCase == Value.KindOneofCase.ListValue ? value.ListValue.Values.SelectMany(Flatten) : [value];

    private static bool IsEmpty(Value value) =>
        value.KindCase == Value.KindOneofCase.NullValue
        || (value.KindCase == Value.KindOneofCase.ListValue && value.ListValue.Values.Count == 0);
}
