using System.ComponentModel.DataAnnotations;

namespace Recommender.Vector.Storage.Qdrant;

/// <summary>How writes are ordered across a Qdrant cluster's replicas (Qdrant's WriteOrderingType).</summary>
public enum QdrantWriteOrdering
{
    /// <summary>Qdrant's default: fastest, writes may be reordered between replicas.</summary>
    Weak,

    /// <summary>Through a dynamically elected leader.</summary>
    Medium,

    /// <summary>Through the permanent leader: consistent, unavailable while it is down.</summary>
    Strong,
}

/// <summary>
/// Section "Vector:Qdrant", used when Vector:Backend is Qdrant. The API key comes from a secret
/// (environment variable Vector__Qdrant__ApiKey); sharding, replication and write consistency apply when the
/// collection is created.
/// </summary>
public sealed class QdrantOptions
{
    public const string Section = "Vector:Qdrant";

    /// <summary>Qdrant's gRPC endpoint (port 6334); https when Qdrant serves TLS.</summary>
    [Required]
    [RegularExpression("^https?://.+", ErrorMessage = "Vector:Qdrant:Endpoint must be an http:// or https:// URL.")]
    public string Endpoint { get; set; } = "http://localhost:6334";

    /// <summary>Sent as the api-key header on every call when set.</summary>
    public string? ApiKey { get; set; }

    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,255}$", ErrorMessage = "Vector:Qdrant:Collection may use letters, digits, '_' and '-'.")]
    public string Collection { get; set; } = "pins";

    /// <summary>Shards of the collection; unset lets Qdrant choose (1 standalone, the node count in a cluster).</summary>
    [Range(1, 1024)]
    public int? ShardNumber { get; set; }

    /// <summary>Copies of each shard; unset means Qdrant's default (1).</summary>
    [Range(1, 64)]
    public int? ReplicationFactor { get; set; }

    /// <summary>Replicas that must apply a write before it is acknowledged; unset means Qdrant's default (1).</summary>
    [Range(1, 64)]
    public int? WriteConsistencyFactor { get; set; }

    public QdrantWriteOrdering WriteOrdering { get; set; } = QdrantWriteOrdering.Weak;

    /// <summary>Deadline of each call to Qdrant.</summary>
    [Range(100, 600_000)]
    public int TimeoutMs { get; set; } = 10_000;

    /// <summary>Points per Upsert request (a larger batch is split).</summary>
    [Range(1, 10_000)]
    public int UpsertBatchSize { get; set; } = 256;

    /// <summary>Ask Qdrant for exact (brute-force) dense search instead of HNSW; slower, but results then match the
    /// embedded store exactly on any collection size.</summary>
    public bool ExactSearch { get; set; }

    /// <summary>Width of the dense vectors. With <see cref="EmbedderVersion"/>, the collection is created with this
    /// shape as soon as it is needed (also by a delete); unset, the first upserted batch decides.</summary>
    [Range(1, 65_536)]
    public int? Dimensions { get; set; }

    /// <summary>Embedder version of the collection when it is created from these options (with <see cref="Dimensions"/>).</summary>
    public string? EmbedderVersion { get; set; }

    /// <summary>HNSW beam width for dense search; unset uses the collection's setting.</summary>
    [Range(1, 100_000)]
    public int? HnswEf { get; set; }
}
