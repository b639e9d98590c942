using System.Numerics.Tensors;
using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Intent;
using RankingSearchRequest = Recommender.Contracts.Ranking.V1.SearchRequest;
using RankingSearchResponse = Recommender.Contracts.Ranking.V1.SearchResponse;
using VectorSearchRequest = Recommender.Contracts.Vector.V1.SearchRequest;

namespace Recommender.Ranking.Pipeline;

/// <summary>
/// Search and related pins: intent -> hybrid candidates with hard filters -> features -> ranker -> page, each result
/// with its score and the features that placed it.
/// </summary>
public sealed partial class SearchPipeline(
    VectorService.VectorServiceClient vector,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    FeatureExtractor featureExtractor,
    LinearRanker ranker,
    IOptions<RankingOptions> options,
    ILogger<SearchPipeline> logger)
{
    private readonly RankingOptions _options = options.Value;
    private readonly string _embedderVersion = embedder.ModelVersion();

    public async Task<RankingSearchResponse> SearchAsync(
        RankingSearchRequest request, string tenant, int pageSize, DateTime deadline, CancellationToken cancellationToken)
    {
        var intent = QueryIntentParser.Parse(request.Query);
        var text = intent.Text.Length > 0 ? intent.Text : intent.NormalizedQuery;
        var tokens = TextTokenizer.Tokenize(text);
        var embedding = await embedder.GenerateVectorAsync(text, cancellationToken: cancellationToken);
        var query = embedding.ToArray();

        var search = new VectorSearchRequest
        {
            Tenant = tenant,
            Sparse = ToProto(SparseEncoder.EncodeQuery(tokens)),
            Filter = SearchFilterBuilder.Build(request.Filters, intent),
            Limit = _options.CandidateCount,
            EmbedderVersion = _embedderVersion,
            WithVectors = true,
        };
        search.Dense.Add(query);
        var found = await vector.SearchAsync(search, deadline: Deadline(deadline), cancellationToken: cancellationToken);

        var negated = intent.NegatedTerms.Select(TextTokenizer.Normalize).ToHashSet(StringComparer.Ordinal);
        var candidates = found.Results
            .Where(r => negated.Count == 0 || !MentionsAny(r.Pin, negated))
            .Select(r => ToCandidate(r, query))
            .ToList();

        var fingerprint = $"{tenant}|{request.Query}|{Convert.ToBase64String(request.Filters?.ToByteArray() ?? [])}|{request.UserId}";
        var offset = PageToken.Read(request.PageToken, fingerprint);
        var response = Rank(tenant, tokens, candidates, offset, pageSize, fingerprint);
        response.Intent = ToProto(intent);
        LogSearch(logger, tenant, response.QueryId, intent.NormalizedQuery, intent.Text, intent.PriceMin, intent.PriceMax,
            string.Join(",", intent.NegatedTerms), candidates.Count);
        return response;
    }

    public async Task<RankingSearchResponse> RelatedAsync(
        RelatedPinsRequest request, string tenant, int pageSize, DateTime deadline, CancellationToken cancellationToken)
    {
        var recommend = new RecommendRequest { Tenant = tenant, Limit = _options.CandidateCount, WithVectors = true };
        recommend.PositiveIds.Add(request.PinId);
        var found = await vector.RecommendAsync(recommend, deadline: Deadline(deadline), cancellationToken: cancellationToken);

        var seed = await vector.GetAsync(
            new GetRequest { Tenant = tenant, PinIds = { request.PinId } }, deadline: Deadline(deadline), cancellationToken: cancellationToken);
        var seedTokens = seed.Points.Count > 0 ? TextTokenizer.Tokenize(seed.Points[0].Pin.Title) : [];
        var candidates = found.Results.Select(r => ToCandidate(r, null)).ToList();
        var fingerprint = $"{tenant}|related|{request.PinId}|{request.UserId}";
        var offset = PageToken.Read(request.PageToken, fingerprint);
        return Rank(tenant, seedTokens, candidates, offset, pageSize, fingerprint);
    }

    private RankingSearchResponse Rank(
        string tenant, IReadOnlyList<string> tokens, List<Candidate> candidates, int offset, int pageSize, string fingerprint)
    {
        featureExtractor.Extract(tenant, tokens, candidates);
        ranker.Score(candidates);
        candidates.Sort((a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Pin.Id, b.Pin.Id);
        });

        var response = new RankingSearchResponse
        {
            QueryId = NewId.NextGuid().ToString("N"),
            TotalCandidates = candidates.Count,
            ModelVersion = ranker.Version,
        };
        for (var i = offset; i < Math.Min(candidates.Count, offset + pageSize); i++)
        {
            var c = candidates[i];
            var ranked = new RankedPin { Pin = c.Pin.ToProto(), Score = c.Score, Position = i + 1 };
            foreach (var (feature, value, contribution) in ranker.Explain(c))
            {
                ranked.Explanation.Add(new FeatureContribution { Feature = feature, Value = value, Contribution = contribution });
            }

            response.Results.Add(ranked);
        }

        if (offset + pageSize < candidates.Count)
        {
            response.NextPageToken = PageToken.Create(offset + pageSize, fingerprint);
        }

        return response;
    }

    private DateTime Deadline(DateTime callerDeadline)
    {
        var own = DateTime.UtcNow.AddMilliseconds(_options.VectorTimeoutMs);
        return callerDeadline < own ? callerDeadline : own;
    }

    private static Candidate ToCandidate(ScoredPin r, float[]? query)
    {
        var pin = r.Pin.ToPinData(r.Pin.Tenant, r.Pin.Version);
        var dense = r.DenseScore;
        if (query is not null && r.Dense.Count == query.Length)
        {
            // Every candidate gets its real cosine, also those the sparse branch alone found.
            var vector = new float[r.Dense.Count];
            r.Dense.CopyTo(vector, 0);
            dense = TensorPrimitives.Dot(vector, query);
        }

        return new Candidate(pin, r.Score, dense, r.SparseScore);
    }

    private static bool MentionsAny(Contracts.Catalog.V1.Pin pin, HashSet<string> terms) =>
        TextTokenizer.Tokenize(pin.Title).Any(terms.Contains)
        || TextTokenizer.Tokenize(pin.Brand).Any(terms.Contains)
        || TextTokenizer.Tokenize(pin.Colour).Any(terms.Contains);

    private static Contracts.Vector.V1.SparseVector ToProto(Embeddings.SparseVector sparse)
    {
        var proto = new Contracts.Vector.V1.SparseVector();
        proto.Indices.Add(sparse.Indices.Select(i => (uint)i));
        proto.Values.Add(sparse.Values);
        return proto;
    }

    private static Contracts.Ranking.V1.Intent ToProto(ParsedIntent intent)
    {
        var proto = new Contracts.Ranking.V1.Intent
        {
            NormalizedQuery = intent.NormalizedQuery,
            Text = intent.Text,
            Currency = intent.Currency,
        };
        if (intent.PriceMin is { } min)
        {
            proto.PriceMin = min;
        }

        if (intent.PriceMax is { } max)
        {
            proto.PriceMax = max;
        }

        proto.NegatedTerms.Add(intent.NegatedTerms);
        proto.Spans.Add(intent.Spans.Select(s => new IntentSpan { Slot = s.Slot, Start = s.Start, Length = s.Length, Value = s.Value }));
        return proto;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
        Message = "Search {Tenant} {QueryId} '{Query}' -> text '{Text}', price [{Min}, {Max}], not [{Negated}], {Candidates} candidates")]
    private static partial void LogSearch(
        ILogger logger, string tenant, string queryId, string query, string text, double? min, double? max, string negated, int candidates);
}
