using Google.Protobuf;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ranking.V1;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Intent;
using Recommender.ServiceDefaults.Grpc;
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
    RankingTail tail,
    IntentService intentService,
    Engagement.EngagementRecorder recorder,
    IOptions<RankingOptions> options,
    IOptions<Tail.DiversityOptions> diversity,
    RetrievedPins retrieved,
    ILogger<SearchPipeline> logger)
{
    private readonly RankingOptions _options = options.Value;

    /// <summary>MMR compares the candidates' vectors (about 1 KB each). Searches do not carry them: both vector
    /// backends return every hybrid hit's exact cosine, and the vectors of pins not seen before are fetched once
    /// (<see cref="RetrievedPins"/>).</summary>
    private readonly bool _withVectors = diversity.Value.Mode == Tail.DiversityMode.Mmr;
    private readonly string _embedderVersion = embedder.ModelVersion();

    public async Task<RankingSearchResponse> SearchAsync(
        RankingSearchRequest request, string tenant, int pageSize, DateTime deadline, CancellationToken cancellationToken)
    {
        var fingerprint = $"{tenant}|{request.Query}|{Convert.ToBase64String(request.Filters?.ToByteArray() ?? [])}|{request.UserId}";
        if (tail.Continue(request.PageToken, pageSize, fingerprint) is { } next)
        {
            return next;
        }

        var parsed = await intentService.ParseAsync(tenant, request.Query, cancellationToken);
        var intent = parsed.Intent;
        var text = intent.Text.Length > 0 ? intent.Text : intent.NormalizedQuery;
        text = _options.SpellCorrection ? parsed.Vocabulary.Speller.Correct(text) : text;
        var tokens = TextTokenizer.Tokenize(text);
        var embedding = await embedder.GenerateVectorAsync(text, cancellationToken: cancellationToken);
        var query = embedding.ToArray();

        var search = new VectorSearchRequest
        {
            Tenant = tenant,
            Sparse = SparseEncoder.EncodeQuery(tokens).ToProto(),
            Filter = SearchFilterBuilder.Build(request.Filters, intent, parsed.Vocabulary),
            Limit = _options.CandidateCount,
            EmbedderVersion = _embedderVersion,
        };
        search.Dense.Add(query);
        var found = await vector.SearchAsync(search, deadline: Deadline(deadline), cancellationToken: cancellationToken);
        var pins = await ResolveAsync(tenant, found.Results, deadline, cancellationToken);

        var negated = NegatedTerms.Of(intent);
        var candidates = new List<Candidate>(found.Results.Count);
        for (var i = 0; i < found.Results.Count; i++)
        {
            var r = found.Results[i];
            if (!negated.Excludes(pins[i]))
            {
                candidates.Add(ToCandidate(r, pins[i]));
            }
        }

        var offset = PageToken.Read(request.PageToken, fingerprint);
        var context = new SearchContext(tenant, tokens, intent, NullIfEmpty(request.UserId), NullIfEmpty(request.SessionId));
        var response = tail.Finish(context, candidates, offset, pageSize, fingerprint, IntentProto.ToProto(intent));
        recorder.RecordSearch(tenant, response.QueryId, request.Query, context.UserId, context.SessionId);
        if (logger.IsEnabled(LogLevel.Information))
        {
            // The joins are built only when the line is written.
            LogSearch(logger, tenant, response.QueryId, intent.NormalizedQuery, intent.Parser, intent.Text,
                intent.Category ?? "", intent.CategoryConfidence, string.Join("|", intent.Brands), intent.BrandsRequired,
                string.Join("|", intent.ExcludedBrands), intent.Colour ?? "", intent.Material ?? "", intent.Size ?? "",
                intent.PriceMin, intent.PriceMax, intent.Currency, intent.PriceSensitive, string.Join("|", intent.NegatedTerms),
                intent.Sort, candidates.Count, parsed.EmbeddedMs, parsed.TotalMs);
        }
        return response;
    }

    public async Task<RankingSearchResponse> RelatedAsync(
        RelatedPinsRequest request, string tenant, int pageSize, DateTime deadline, CancellationToken cancellationToken)
    {
        var fingerprint = $"{tenant}|related|{request.PinId}|{request.UserId}";
        if (tail.Continue(request.PageToken, pageSize, fingerprint) is { } next)
        {
            return next;
        }

        var seed = await vector.GetAsync(
            new GetRequest { Tenant = tenant, PinIds = { request.PinId } }, deadline: Deadline(deadline), cancellationToken: cancellationToken);
        if (seed.Points.Count == 0)
        {
            throw ServiceRuleException.NotFound($"Pin '{request.PinId}' does not exist in tenant '{tenant}'.");
        }

        var recommend = new RecommendRequest { Tenant = tenant, Limit = Math.Min(_options.CandidateCount + 1, 1_000) };
        recommend.PositiveIds.Add(request.PinId);
        var found = await vector.RecommendAsync(recommend, deadline: Deadline(deadline), cancellationToken: cancellationToken);
        var pins = await ResolveAsync(tenant, found.Results, deadline, cancellationToken);

        var seedTokens = TextTokenizer.Tokenize(seed.Points[0].Pin.Title);
        var candidates = new List<Candidate>(found.Results.Count);
        for (var i = 0; i < found.Results.Count; i++)
        {
            // The seed itself is never its own recommendation.
            if (found.Results[i].Pin.Id != request.PinId && candidates.Count < _options.CandidateCount)
            {
                candidates.Add(ToCandidate(found.Results[i], pins[i]));
            }
        }

        var offset = PageToken.Read(request.PageToken, fingerprint);
        return tail.Finish(new SearchContext(tenant, seedTokens, UserId: NullIfEmpty(request.UserId)), candidates, offset, pageSize, fingerprint);
    }

    /// <summary>Every hit's pin and vector (<see cref="RetrievedPins"/>); with MMR, the vectors of hits whose pin
    /// version was not seen before are fetched in one call first.</summary>
    private async Task<RetrievedPin[]> ResolveAsync(
        string tenant, IReadOnlyList<ScoredPin> hits, DateTime deadline, CancellationToken cancellationToken)
    {
        var pins = retrieved.Resolve(hits, _withVectors, out var missing);
        if (missing is null)
        {
            return pins;
        }

        var get = new GetRequest { Tenant = tenant, WithVectors = true };
        get.PinIds.Add(missing.Select(i => hits[i].Pin.Id));
        var points = await vector.GetAsync(get, deadline: Deadline(deadline), cancellationToken: cancellationToken);
        foreach (var point in points.Points)
        {
            retrieved.Remember(point);
        }

        foreach (var i in missing)
        {
            pins[i] = retrieved.Of(hits[i]);
        }

        return pins;
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;

    private DateTime Deadline(DateTime callerDeadline)
    {
        var own = DateTime.UtcNow.AddMilliseconds(_options.VectorTimeoutMs);
        return callerDeadline < own ? callerDeadline : own;
    }

    /// <summary>A hit as a candidate: its dense score is the vector service's exact cosine (both backends give it for
    /// every hybrid hit); the pin and vector come converted once per pin version (<see cref="RetrievedPins"/>).</summary>
    private static Candidate ToCandidate(ScoredPin r, RetrievedPin resolved) =>
        new(resolved.Pin, r.Score, r.DenseScore, r.SparseScore) { Vector = resolved.Vector, Retrieved = resolved };

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
        Message = "Search {Tenant} {QueryId} '{Query}' intent[{Parser}]: text '{Text}', category '{Category}' ({Confidence:F2}), brands [{Brands}] required {BrandsRequired}, not brands [{Excluded}], colour '{Colour}', material '{Material}', size '{Size}', price [{Min}, {Max}] {Currency}, price sensitive {PriceSensitive}, not [{Negated}], sort {Sort}; {Candidates} candidates; parsed in {EmbeddedMs:F3} ms embedded, {TotalMs:F1} ms total")]
    private static partial void LogSearch(
        ILogger logger, string tenant, string queryId, string query, string parser, string text, string category, double confidence,
        string brands, bool brandsRequired, string excluded, string colour, string material, string size, double? min, double? max,
        string currency, bool priceSensitive, string negated, IntentSort sort, int candidates, double embeddedMs, double totalMs);
}
