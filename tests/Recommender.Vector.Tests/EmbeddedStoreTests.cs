using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector.Tests;

/// <summary>The behaviour suite on the embedded store kept in memory only.</summary>
public sealed class EmbeddedInMemoryStoreTests : VectorStoreBehaviour, IDisposable
{
    private readonly List<EmbeddedVectorStore> _stores = [];

    protected override Task<IVectorStore> CreateStoreAsync()
    {
        var store = EmbeddedStores.Open("", SearchOptions);
        _stores.Add(store);
        return Task.FromResult<IVectorStore>(store);
    }

    public void Dispose() => _stores.ForEach(s => s.Dispose());
}

/// <summary>The behaviour suite on the embedded store persisted to a temporary folder.</summary>
public sealed class EmbeddedOnDiskStoreTests : VectorStoreBehaviour, IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly List<EmbeddedVectorStore> _stores = [];

    protected override Task<IVectorStore> CreateStoreAsync()
    {
        var store = EmbeddedStores.Open(_folder.Sub($"store{_stores.Count}"), SearchOptions);
        _stores.Add(store);
        return Task.FromResult<IVectorStore>(store);
    }

    public void Dispose()
    {
        _stores.ForEach(s => s.Dispose());
        _folder.Dispose();
    }
}

public static class EmbeddedStores
{
    public static EmbeddedVectorStore Open(string dataPath, VectorSearchOptions? search = null, long compactionLogBytes = 256L * 1024 * 1024) =>
        new(
            Options.Create(new EmbeddedStoreOptions { DataPath = dataPath, CompactionLogBytes = compactionLogBytes }),
            Options.Create(search ?? new VectorSearchOptions()),
            new TestHostEnvironment(),
            NullLogger<EmbeddedVectorStore>.Instance);

    private sealed class TestHostEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";

        public string ApplicationName { get; set; } = "Recommender.Vector.Tests";

        public string ContentRootPath { get; set; } = Path.GetTempPath();

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } =
            new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}

/// <summary>A folder under the temp directory, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "recommender-vector-tests", Guid.NewGuid().ToString("N"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
