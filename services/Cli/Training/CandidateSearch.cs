using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Embeddings.Training;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Pipeline;
using Recommender.Vector;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Cli.Training;

/// <summary>
/// The Search pipeline's candidate stage, in process, for training and tuning: pins embedded as ingestion embeds
/// them into the real <see cref="EmbeddedVectorStore"/>; each query parsed by the intent model learned from the same
/// pins, filtered by <see cref="SearchFilterBuilder"/>, retrieved hybrid (dense + sparse, RRF), negated terms dropped,
/// every candidate given its real cosine; then the service's own <see cref="FeatureExtractor"/>. So the ranker
/// trains on exactly the features it is served.
/// </summary>
public sealed class CandidateSearch : IDisposable
{
    public const string Tenant = "train";
    private readonly EmbeddedVectorStore _store;
    private readonly ITextEmbedder _embedder;
    private readonly EmbeddedIntentParser _parser;
    private readonly FeatureExtractor _features = new(Recommender.Ranking.Engagement.NoEngagement.Instance);

    private CandidateSearch(EmbeddedVectorStore store, ITextEmbedder embedder, EmbeddedIntentParser parser, bool spellCorrection)
    {
        _store = store;
        _embedder = embedder;
        _parser = parser;
        _spellCorrection = spellCorrection;
    }

    private readonly bool _spellCorrection;

    /// <summary>The query's text for retrieval and features, as <see cref="SearchPipeline"/> computes it: the intent's
    /// remaining text (else the normalised query), spelling-corrected against the catalog when asked.</summary>
    public static string QueryText(EmbeddedIntentParser parser, ShoppingIntent intent, bool spellCorrection)
    {
        var text = intent.Text.Length > 0 ? intent.Text : intent.NormalizedQuery;
        return spellCorrection ? parser.Vocabulary.Speller.Correct(text) : text;
    }

    public static PinData ToPin(CatalogProduct product) => new()
    {
        Id = product.Id,
        Tenant = Tenant,
        Title = product.Title,
        Description = product.Description,
        Brand = product.Brand,
        CategoryPath = product.Categories,
        Attributes = product.Attributes.GroupBy(a => a.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal),
        Version = 1,
    };

    public static async Task<CandidateSearch> BuildAsync(
        IReadOnlyList<CatalogProduct> products, ITextEmbedder embedder, Action<int>? progress, bool spellCorrection, CancellationToken cancellationToken)
    {
        var store = new EmbeddedVectorStore(
            Options.Create(new EmbeddedStoreOptions { DataPath = "" }),
            Options.Create(new VectorSearchOptions()),
            new HostingEnvironment { ContentRootPath = Directory.GetCurrentDirectory() },
            NullLogger<EmbeddedVectorStore>.Instance);
        var pins = products.Select(ToPin).ToList();
        foreach (var chunk in pins.Chunk(1000))
        {
            var points = new StoredPoint[chunk.Length];
            Parallel.For(0, chunk.Length, i =>
            {
                var pin = chunk[i];
                var dense = new float[embedder.Dimensions];
                embedder.Embed(PinText.Of(pin), dense);
                points[i] = new StoredPoint(pin, dense, SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin))), embedder.Version);
            });
            await store.UpsertAsync(points, cancellationToken);
            progress?.Invoke(chunk.Length);
        }

        // Search as the service does once loaded (through the clustered index on a large catalog), and reproducibly.
        await store.WaitForIndexesAsync(cancellationToken);

        var intent = IntentModel.Build(pins, new IntentOptions().CategoryThreshold);
        return new CandidateSearch(store, embedder, intent.Parser, spellCorrection);
    }

    /// <summary>The query's candidates with their features, in retrieval order.</summary>
    public async Task<List<Candidate>> CandidatesAsync(string query, int limit, CancellationToken cancellationToken)
    {
        var intent = _parser.Parse(query);
        var text = QueryText(_parser, intent, _spellCorrection);
        var tokens = TextTokenizer.Tokenize(text);
        var dense = new float[_embedder.Dimensions];
        _embedder.Embed(text, dense);
        var filter = SearchFilterBuilder.Build(null, intent, _parser.Vocabulary).ToFilter();
        var hits = await _store.SearchAsync(
            new HybridQuery(Tenant, dense, SparseEncoder.EncodeQuery(tokens), filter, limit, _embedder.Version), cancellationToken);
        var negated = NegatedTerms.Of(intent);
        var candidates = new List<Candidate>(hits.Count);
        foreach (var hit in hits)
        {
            var pin = hit.Point.Pin;
            if (negated.Excludes(pin.Title, pin.Brand, pin.Colour))
            {
                continue;
            }

            var cosine = hit.Point.Dense.Length == dense.Length ? System.Numerics.Tensors.TensorPrimitives.Dot(hit.Point.Dense, dense) : hit.DenseScore;
            candidates.Add(new Candidate(hit.Point.Pin, hit.Score, cosine, hit.SparseScore));
        }

        _features.Extract(new SearchContext(Tenant, tokens, intent), candidates);
        return candidates;
    }

    public void Dispose() => _store.Dispose();
}
