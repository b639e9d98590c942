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

    private async Task WaitForCountAsync(long count, CancellationToken ct)
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_host.GrpcAddress);
        var vector = new Contracts.Vector.V1.VectorService.VectorServiceClient(channel);
        var watch = Stopwatch.StartNew();
        long seen = 0;
        // Seeding 3,000 pins takes a few seconds on a quiet machine; the bound is for a loaded CI box.
        while (watch.Elapsed < TimeSpan.FromSeconds(120))
        {
            seen = (await vector.GetCollectionInfoAsync(new Contracts.Vector.V1.CollectionInfoRequest { Tenant = "default" }, cancellationToken: ct)).Count;
            if (seen == count)
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
