using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Recommender.SystemTests.Infrastructure;

namespace Recommender.SystemTests;

/// <summary>
/// The one-command embedded mode as the README runs it: one process, no broker, a data folder; the sample catalog
/// is loaded on first start and kept across restarts. Exercises the README's curl examples over HTTP/1.
/// </summary>
public sealed class EmbeddedHostTests : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "recommender-embedded-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private ServiceProcess _host = null!;

    public ValueTask InitializeAsync()
    {
        _host = new ServiceProcess("embedded", RepoPaths.HostDll("services/Embedded", "Recommender.Embedded"),
            new Dictionary<string, string> { ["Vector__Embedded__DataPath"] = _dataPath, ["Ranking__Engagement__DataPath"] = _dataPath + "-engagement" });
        _host.Set("Ranking__VectorAddress", _host.GrpcAddress.ToString());
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Start_FreshDataFolder_AnswersCurlSearchWithin30SecondsAndAgainAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var watch = Stopwatch.StartNew();
        _host.Start();
        var first = await WaitForResultsAsync("/v1/search?query=hp%20toner&pageSize=5", TimeSpan.FromSeconds(30), ct);
        var firstAnswer = watch.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"first answer {firstAnswer.TotalSeconds:F1} s after process start");

        Assert.Equal(5, first.GetProperty("results").GetArrayLength());
        await WaitForCountAsync(3000, ct);
        var loaded = await WaitForResultsAsync("/v1/search?query=hp%20toner&pageSize=5", TimeSpan.FromSeconds(30), ct);
        Assert.Contains("Sample catalog: 3000 pins published", _host.Log, StringComparison.Ordinal);

        await _host.StopAsync(TimeSpan.FromSeconds(20));
        _host.Start();
        var again = await WaitForResultsAsync("/v1/search?query=hp%20toner&pageSize=5", TimeSpan.FromSeconds(30), ct);

        Assert.Contains("already has 3000 pins", _host.Log, StringComparison.Ordinal);
        Assert.Equal(Ids(loaded), Ids(again));
    }

    [Fact]
    public async Task Start_AfterAPartialImport_ImportsTheMissingSamplePinsAndKeepsADeletedOneDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        var sample = SampleLines();
        var partial = WriteSample("partial.jsonl", sample.Take(1000));
        _host.Set("SampleCatalog__Path", partial);
        _host.Start();
        await WaitForCountAsync(1000, ct);
        var deleted = PinId(sample[10]);
        using (var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_host.GrpcAddress))
        {
            var ingestion = new Contracts.Ingestion.V1.IngestionService.IngestionServiceClient(channel);
            await ingestion.DeletePinsAsync(new Contracts.Ingestion.V1.DeletePinsRequest { Tenant = "default", PinIds = { deleted } }, cancellationToken: ct);
        }

        await WaitForCountAsync(999, ct);
        Assert.True(await _host.StopAsync(TimeSpan.FromSeconds(20)), _host.Log);

        _host.Set("SampleCatalog__Path", WriteSample("full.jsonl", sample));
        _host.Start();
        await WaitForCountAsync(2999, ct);

        Assert.Contains("2001 of its 3000 pins are missing", _host.Log, StringComparison.Ordinal);
        Assert.Contains("Sample catalog: 2001 pins published", _host.Log, StringComparison.Ordinal);
        Assert.Empty(await GetPinsAsync([deleted], ct));
        Assert.Single(await GetPinsAsync([PinId(sample[2999])], ct));
    }

    [Fact]
    public async Task Stop_DuringTheSampleImport_ExitsCleanlyAndTheNextStartFinishesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        // Eight copies of the sample under new ids: ~8 s of import on the 2-core dev box, so the stop lands inside it.
        var sample = SampleLines();
        var large = Enumerable.Range(0, 8).SelectMany(copy => sample.Select(line => line.Replace("\"id\": \"icecat-", $"\"id\": \"copy{copy}-icecat-", StringComparison.Ordinal))).ToList();
        _host.Set("SampleCatalog__Path", WriteSample("large.jsonl", large));
        _host.Start();
        await WaitForCountAsync(1, ct, atLeast: true);

        Assert.True(await _host.StopAsync(TimeSpan.FromSeconds(30)), _host.Log);
        var firstRun = _host.Log;
        Assert.Equal(0, _host.ExitCode);
        Assert.Contains("import stopped by shutdown after", firstRun, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", firstRun, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", firstRun, StringComparison.Ordinal);

        _host.Start();
        await WaitForCountAsync(large.Count, ct);
        Assert.Contains("pins are missing for tenant 'default'", _host.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_PostWithFilters_ReturnsOnlyPinsInRange()
    {
        var ct = TestContext.Current.CancellationToken;
        _host.Start();
        await WaitForResultsAsync("/v1/search?query=mouse", TimeSpan.FromSeconds(30), ct);

        using var response = await _http.PostAsJsonAsync(new Uri(_host.HttpAddress, "/v1/search"),
            new { query = "wireless mouse", pageSize = 10, filters = new { priceMax = 30 } }, ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);

        var results = body.GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.GetProperty("pin").GetProperty("price").GetDouble() <= 30));
    }

    [Fact]
    public async Task Search_EmptyQueryOverHttp_Is400NamingTheField()
    {
        var ct = TestContext.Current.CancellationToken;
        _host.Start();
        await _host.WaitReadyAsync(TimeSpan.FromSeconds(30), ct);

        using var response = await _http.GetAsync(new Uri(_host.HttpAddress, "/v1/search?query="), ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("query", body, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _http.Dispose();
        foreach (var path in new[] { _dataPath, _dataPath + "-engagement" })
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }

    private async Task<JsonElement> WaitForResultsAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            Assert.False(_host.HasExited, _host.Log);
            try
            {
                using var response = await _http.GetAsync(new Uri(_host.HttpAddress, path), ct);
                if (response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                    if (body.TryGetProperty("results", out var results) && results.GetArrayLength() > 0)
                    {
                        return body;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"No search results within {timeout}.\n{_host.Log}");
    }

    private List<string> SampleLines()
    {
        using var file = File.OpenRead(Path.Combine(Path.GetDirectoryName(RepoPaths.HostDll("services/Embedded", "Recommender.Embedded"))!, "SampleData", "icecat-sample.jsonl.gz"));
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var lines = new List<string>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            lines.Add(line);
        }

        Assert.Equal(3000, lines.Count);
        return lines;
    }

    private string WriteSample(string name, IEnumerable<string> lines)
    {
        Directory.CreateDirectory(_dataPath);
        var path = Path.Combine(_dataPath, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string PinId(string line)
    {
        using var row = JsonDocument.Parse(line);
        return row.RootElement.GetProperty("id").GetString()!;
    }

    private async Task<List<string>> GetPinsAsync(IEnumerable<string> ids, CancellationToken ct)
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_host.GrpcAddress);
        var vector = new Contracts.Vector.V1.VectorService.VectorServiceClient(channel);
        var response = await vector.GetAsync(new Contracts.Vector.V1.GetRequest { Tenant = "default", PinIds = { ids } }, cancellationToken: ct);
        return response.Points.Select(p => p.Pin.Id).ToList();
    }

    private async Task WaitForCountAsync(long count, CancellationToken ct, bool atLeast = false)
    {
        await _host.WaitReadyAsync(TimeSpan.FromSeconds(30), ct);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_host.GrpcAddress);
        var vector = new Contracts.Vector.V1.VectorService.VectorServiceClient(channel);
        var watch = Stopwatch.StartNew();
        long seen = 0;
        // Seeding 3,000 pins takes a few seconds on a quiet machine; the bound is for a loaded CI box.
        while (watch.Elapsed < TimeSpan.FromSeconds(120))
        {
            seen = (await vector.GetCollectionInfoAsync(new Contracts.Vector.V1.CollectionInfoRequest { Tenant = "default" }, cancellationToken: ct)).Count;
            if (seen == count || (atLeast && seen >= count))
            {
                return;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"{seen} pins stored, expected {count}.\n{_host.Log}");
    }

    private static List<string> Ids(JsonElement body) =>
        body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("pin").GetProperty("id").GetString()!).ToList();
}
