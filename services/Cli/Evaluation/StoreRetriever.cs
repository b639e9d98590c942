using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Embeddings;
using Recommender.Embeddings.Training;
using Recommender.Vector;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Cli.Evaluation;

public enum RetrievalMode
{
    Dense,
    Sparse,
    Hybrid,
}

/// <summary>
/// Retrieval exactly as the product does it: pins embedded the way ingestion embeds them (dense from
/// <see cref="PinText.Of"/>, sparse from <see cref="PinText.Lexical"/>), held in the real in-memory
/// <see cref="EmbeddedVectorStore"/>, searched with its dense, sparse (store-side IDF) and RRF-fused hybrid branches.
/// </summary>
public sealed class StoreRetriever : IDisposable
{
    private const string Tenant = "eval";
    private readonly EmbeddedVectorStore _store;
    private readonly ITextEmbedder _embedder;

    private StoreRetriever(EmbeddedVectorStore store, ITextEmbedder embedder)
    {
        _store = store;
        _embedder = embedder;
    }

    public static async Task<StoreRetriever> BuildAsync(IReadOnlyList<CatalogProduct> products, ITextEmbedder embedder, CancellationToken cancellationToken)
    {
        var store = new EmbeddedVectorStore(
            Options.Create(new EmbeddedStoreOptions { DataPath = "" }),
            Options.Create(new VectorSearchOptions()),
            new HostingEnvironment { ContentRootPath = Directory.GetCurrentDirectory() },
            NullLogger<EmbeddedVectorStore>.Instance);
        foreach (var chunk in products.Chunk(1000))
        {
            var points = new List<StoredPoint>(chunk.Length);
            foreach (var product in chunk)
            {
                var pin = new PinData
                {
                    Id = product.Id,
                    Tenant = Tenant,
                    Title = product.Title,
                    Description = product.Description,
                    Brand = product.Brand,
                    CategoryPath = product.Categories,
                    Version = 1,
                };
                var dense = new float[embedder.Dimensions];
                embedder.Embed(PinText.Of(pin), dense);
                var sparse = SparseEncoder.EncodeDocument(TextTokenizer.Tokenize(PinText.Lexical(pin)));
                points.Add(new StoredPoint(pin, dense, sparse, embedder.Version));
            }

            await store.UpsertAsync(points, cancellationToken);
        }

        // Search as the service does once loaded (through the clustered index on a large catalog), and reproducibly.
        await store.WaitForIndexesAsync(cancellationToken);

        return new StoreRetriever(store, embedder);
    }

    public async Task<List<string>> SearchAsync(string query, RetrievalMode mode, int limit, CancellationToken cancellationToken)
    {
        float[]? dense = null;
        SparseVector? sparse = null;
        if (mode != RetrievalMode.Sparse)
        {
            dense = new float[_embedder.Dimensions];
            _embedder.Embed(query, dense);
        }

        if (mode != RetrievalMode.Dense)
        {
            sparse = SparseEncoder.EncodeQuery(TextTokenizer.Tokenize(query));
        }

        var hits = await _store.SearchAsync(new HybridQuery(Tenant, dense, sparse, null, limit, _embedder.Version), cancellationToken);
        return hits.Select(h => h.Point.Pin.Id).ToList();
    }

    public void Dispose() => _store.Dispose();
}
