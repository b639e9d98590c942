using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Recommender.Contracts.Ingestion.V1;

namespace Recommender.Ingestion.Tests;

public class ImportCatalogTests
{
    private static async Task<IngestStatus> ImportAsync(
        IngestionServer server, string text, string fileName, string tenant, string jobId = "", int chunk = 8192)
    {
        using var call = server.Client.ImportCatalog(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ImportCatalogRequest
        {
            Header = new ImportHeader { Tenant = tenant, FileName = fileName, JobId = jobId },
        }, TestContext.Current.CancellationToken);
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var at = 0; at < bytes.Length; at += chunk)
        {
            await call.RequestStream.WriteAsync(new ImportCatalogRequest
            {
                Data = ByteString.CopyFrom(bytes, at, Math.Min(chunk, bytes.Length - at)),
            }, TestContext.Current.CancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    [Fact]
    public async Task ImportCatalog_JsonlWithOnePercentMalformed_IngestsEveryValidRowAndReportsEachBadLine()
    {
        await using var server = await IngestionServer.StartAsync();
        var (text, badLines) = TestCatalogs.Jsonl(rows: 3000, badEvery: 100);

        var status = await ImportAsync(server, text, "catalog.jsonl", "shop", jobId: "job-1");

        Assert.Equal(ImportState.Completed, status.State);
        Assert.Equal(3000, status.Rows);
        Assert.Equal(2970, status.Accepted);
        Assert.Equal(30, status.Rejected);
        Assert.Equal(badLines.Select(l => (long)l), status.Errors.Select(e => e.Line));
        Assert.All(status.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        Assert.Contains(status.Errors, e => e.Reason.Contains("price", StringComparison.Ordinal));
        Assert.Contains(status.Errors, e => e.Reason.Contains("image_url", StringComparison.Ordinal));
        Assert.Equal(2970, await server.WaitForPinsAsync("shop", 2970, TimeSpan.FromSeconds(30)));
        var stored = await server.Store.GetAsync("shop", ["p1", "p100", "p2999"], TestContext.Current.CancellationToken);
        Assert.Equal(["p1", "p2999"], stored.Select(p => p.Pin.Id).Order(StringComparer.Ordinal));

        var polled = await server.Client.GetIngestStatusAsync(new GetIngestStatusRequest { JobId = "job-1" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(status.Accepted, polled.Accepted);
        Assert.Equal(ImportState.Completed, polled.State);
    }

    [Fact]
    public async Task ImportCatalog_Csv_MapsColumnsAndReportsBadRowsByStartLine()
    {
        await using var server = await IngestionServer.StartAsync();
        var csv = """
            id,title,brand,category,price,colour,in_stock,attr.material,image_url
            c1,"Wool rug, 5x8",Boho,Home > Rugs,79.5,Beige,true,wool,https://img.example.com/c1.jpg
            c2,"Jute rug ""natural""
            with fringe",Boho,Home > Rugs,59,Natural,yes,jute,
            c3,No price rug,Boho,Home > Rugs,cheap,Grey,true,cotton,
            c4,Short row,Boho
            c5,Cotton rug,Boho,Home|Rugs,-1,Blue,true,cotton,
            c6,Cotton runner,Boho,Home|Rugs,25,Blue,no,cotton,http://img.example.com/c6.jpg
            """;

        var status = await ImportAsync(server, csv, "rugs.csv", "shop", chunk: 17);

        Assert.Equal(3, status.Accepted);
        Assert.Equal([5L, 6L, 7L], status.Errors.Select(e => e.Line));
        Assert.Contains("price", status.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("fields", status.Errors[1].Reason, StringComparison.Ordinal);
        Assert.Contains("price", status.Errors[2].Reason, StringComparison.Ordinal);
        Assert.Equal(3, await server.WaitForPinsAsync("shop", 3, TimeSpan.FromSeconds(30)));
        var pins = await server.Store.GetAsync("shop", ["c1", "c2", "c6"], TestContext.Current.CancellationToken);
        var c1 = pins.Single(p => p.Pin.Id == "c1").Pin;
        Assert.Equal("Wool rug, 5x8", c1.Title);
        Assert.Equal(["Home", "Rugs"], c1.CategoryPath);
        Assert.Equal(79.5, c1.Price);
        Assert.Equal("wool", c1.Attributes["material"]);
        Assert.Equal("Jute rug \"natural\"\nwith fringe", pins.Single(p => p.Pin.Id == "c2").Pin.Title);
        Assert.False(pins.Single(p => p.Pin.Id == "c6").Pin.InStock);
    }

    [Fact]
    public async Task ImportCatalog_RowOfAnotherTenant_IsRejected()
    {
        await using var server = await IngestionServer.StartAsync();
        var text = "{\"id\": \"a\", \"title\": \"Mouse\"}\n{\"id\": \"b\", \"tenant\": \"other\", \"title\": \"Mouse\"}\n";

        var status = await ImportAsync(server, text, "x.jsonl", "shop");

        Assert.Equal(1, status.Accepted);
        var error = Assert.Single(status.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("tenant", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportCatalog_GzipFile_IsDecompressed()
    {
        await using var server = await IngestionServer.StartAsync();
        var (text, _) = TestCatalogs.Jsonl(rows: 50, badEvery: 1000);
        using var buffer = new MemoryStream();
        await using (var gz = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gz.WriteAsync(Encoding.UTF8.GetBytes(text), TestContext.Current.CancellationToken);
        }

        using var call = server.Client.ImportCatalog(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ImportCatalogRequest { Header = new ImportHeader { Tenant = "shop", FileName = "c.jsonl.gz" } }, TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ImportCatalogRequest { Data = ByteString.CopyFrom(buffer.ToArray()) }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        var status = await call;

        Assert.Equal(50, status.Accepted);
    }

    [Fact]
    public async Task ImportCatalog_NoHeader_ReturnsInvalidArgument()
    {
        await using var server = await IngestionServer.StartAsync();
        using var call = server.Client.ImportCatalog(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ImportCatalogRequest { Data = ByteString.CopyFromUtf8("{}") }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task GetIngestStatus_UnknownJob_ReturnsNotFound()
    {
        await using var server = await IngestionServer.StartAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.GetIngestStatusAsync(new GetIngestStatusRequest { JobId = "nope" }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task ImportCatalog_ErrorsBeyondCap_AreCountedButNotListed()
    {
        await using var server = await IngestionServer.StartAsync(new() { ["Ingestion:MaxReportedErrors"] = "5" });
        var (text, _) = TestCatalogs.Jsonl(rows: 200, badEvery: 10);

        var status = await ImportAsync(server, text, "x.jsonl", "shop");

        Assert.Equal(20, status.Rejected);
        Assert.Equal(5, status.Errors.Count);
        Assert.True(status.ErrorsTruncated);
        Assert.Equal(180, status.Accepted);
    }

    [Fact]
    public async Task ImportCatalog_EmbedderDown_FailsWithReasonInsteadOfHanging()
    {
        await using var server = await IngestionServer.StartAsync(new()
        {
            ["Embeddings:Provider"] = "OpenAICompatible",
            ["Embeddings:Endpoint"] = "http://127.0.0.1:9/v1",
            ["Embeddings:Model"] = "down",
            ["Embeddings:MaxRetries"] = "0",
            ["Embeddings:TimeoutMs"] = "500",
            ["Ingestion:EventBatchSize"] = "10",
            ["Ingestion:ImportBufferBatches"] = "1",
        });
        var (text, _) = TestCatalogs.Jsonl(rows: 2000, badEvery: 1000);

        var status = await ImportAsync(server, text, "x.jsonl", "shop").WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(ImportState.Failed, status.State);
        Assert.Contains("127.0.0.1:9/v1/embeddings", status.Failure, StringComparison.Ordinal);
        Assert.Equal(0, status.Accepted);
    }
}
