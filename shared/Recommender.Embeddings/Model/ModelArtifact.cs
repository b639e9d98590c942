using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recommender.Embeddings.Model;

/// <summary>
/// Reads and writes an embedder artifact: a folder with manifest.json and weights.bin. The weights file is
/// "RECEMB01", int32 rows, int32 dimensions, rows float32 scales, then rows x dimensions signed bytes (row-wise int8
/// quantisation, little-endian).
/// </summary>
public static class ModelArtifact
{
    public const string ManifestFile = "manifest.json";
    private static readonly byte[] Magic = "RECEMB01"u8.ToArray();

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Quantises <paramref name="table"/> (rows x dims floats) and writes the artifact; returns its manifest.</summary>
    public static ModelManifest Save(string directory, float[] table, int dimensions, FeatureSpec features, TrainingSummary training)
    {
        Directory.CreateDirectory(directory);
        var rows = table.Length / dimensions;
        var bytes = new byte[16 + (rows * 4) + (rows * dimensions)];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), dimensions);
        var scalesAt = 16;
        var dataAt = 16 + (rows * 4);
        for (var r = 0; r < rows; r++)
        {
            var row = table.AsSpan(r * dimensions, dimensions);
            var max = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row));
            var scale = max > 0 ? max / 127f : 0f;
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(scalesAt + (r * 4)), scale);
            for (var d = 0; d < dimensions; d++)
            {
                var q = scale > 0 ? (int)MathF.Round(row[d] / scale) : 0;
                bytes[dataAt + (r * dimensions) + d] = (byte)(sbyte)Math.Clamp(q, -127, 127);
            }
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var manifest = new ModelManifest
        {
            Version = $"cat-{dimensions}d-{sha[..12]}",
            Dimensions = dimensions,
            Features = features,
            WeightsSha256 = sha,
            Training = training,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        File.WriteAllBytes(Path.Combine(directory, manifest.WeightsFile), bytes);
        File.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, JsonOptions) + "\n");
        return manifest;
    }

    public static ModelManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        var manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"{path} is empty.");
        if (manifest.Format != ModelManifest.CurrentFormat)
        {
            throw new InvalidDataException($"{path}: format '{manifest.Format}' is not '{ModelManifest.CurrentFormat}'.");
        }

        manifest.Features.Validate();
        return manifest;
    }

    /// <summary>Loads and checks an artifact: the weights must match the manifest's hash and shape.</summary>
    public static CatalogEmbedder Load(string directory)
    {
        var manifest = ReadManifest(directory);
        var path = Path.Combine(directory, manifest.WeightsFile);
        var bytes = File.ReadAllBytes(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, manifest.WeightsSha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: SHA-256 {sha} does not match the manifest ({manifest.WeightsSha256}).");
        }

        if (bytes.Length < 16 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not an embedder weights file.");
        }

        var rows = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var dims = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        if (rows != manifest.Features.Buckets || dims != manifest.Dimensions || bytes.Length != 16 + (rows * 4L) + ((long)rows * dims))
        {
            throw new InvalidDataException($"{path}: shape {rows}x{dims} does not match the manifest ({manifest.Features.Buckets}x{manifest.Dimensions}).");
        }

        var table = new float[rows * dims];
        var dataAt = 16 + (rows * 4);
        for (var r = 0; r < rows; r++)
        {
            var scale = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(16 + (r * 4)));
            var source = bytes.AsSpan(dataAt + (r * dims), dims);
            var row = table.AsSpan(r * dims, dims);
            for (var d = 0; d < dims; d++)
            {
                row[d] = (sbyte)source[d] * scale;
            }
        }

        return new CatalogEmbedder(manifest, table);
    }
}
