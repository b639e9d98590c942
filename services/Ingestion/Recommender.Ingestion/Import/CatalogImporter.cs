using System.IO.Compression;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.Contracts;
using Recommender.Contracts.Ingestion.V1;
using Recommender.Ingestion.Pipeline;

namespace Recommender.Ingestion.Import;

/// <summary>
/// Reads a catalog stream row by row, validates each row, and hands valid pins through a bounded channel to a
/// publisher that embeds and publishes them in event-sized batches. The bounded channel is the backpressure: when
/// embedding or the broker falls behind, reading (and so the client's upload) waits instead of buffering the file.
/// </summary>
public sealed partial class CatalogImporter(PinPublisher publisher, IOptions<IngestionOptions> options, ILogger<CatalogImporter> logger)
{
    public async Task RunAsync(Stream input, CatalogFormat format, string fileName, ImportJob job, CancellationToken cancellationToken)
    {
        var batchSize = options.Value.EventBatchSize;
        var channel = Channel.CreateBounded<PinData>(new BoundedChannelOptions(batchSize * options.Value.ImportBufferBatches)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? publishError = null;
        var publishing = Task.Run(async () =>
        {
            try
            {
                await PublishAsync(channel.Reader, job, batchSize, linked.Token);
            }
            catch (Exception ex)
            {
                // Unblock the reader, which may be waiting on a full channel.
                publishError = ex;
                await linked.CancelAsync();
                throw;
            }
        }, linked.Token);
        string? failure = null;
        try
        {
            await ReadAsync(input, format, fileName, job, channel.Writer, linked.Token);
            channel.Writer.TryComplete();
            await publishing;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ex = publishError ?? ex;
            failure = ex.Message;
            channel.Writer.TryComplete(ex);
            await linked.CancelAsync();
            try
            {
                await publishing;
            }
            catch (Exception)
            {
                // The first failure is the one reported.
            }

            LogFailed(logger, job.Id, ex);
        }
        finally
        {
            job.Finish(failure ?? (cancellationToken.IsCancellationRequested ? "cancelled" : null));
            var status = job.Snapshot();
            LogFinished(logger, job.Id, fileName, status.Accepted, status.Rejected, status.State.ToString());
        }
    }

    private static async Task ReadAsync(
        Stream input, CatalogFormat format, string fileName, ImportJob job, ChannelWriter<PinData> writer, CancellationToken cancellationToken)
    {
        var name = fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? fileName[..^3] : fileName;
        if (format == CatalogFormat.Unspecified)
        {
            format = name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? CatalogFormat.Csv : CatalogFormat.Jsonl;
        }

        Stream stream = fileName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(input, CompressionMode.Decompress) : input;
        using var reader = new StreamReader(stream);
        var rows = format == CatalogFormat.Csv
            ? CsvCatalogReader.ReadAsync(reader, cancellationToken)
            : JsonlCatalogReader.ReadAsync(reader, cancellationToken);
        await foreach (var row in rows)
        {
            job.RowRead();
            if (row.Pin is not { } pin)
            {
                job.Reject(row.Line, row.Error ?? "invalid row");
                continue;
            }

            if (pin.Tenant.Length > 0 && pin.Tenant != job.Tenant)
            {
                job.Reject(row.Line, $"tenant: '{pin.Tenant}' differs from the import's tenant '{job.Tenant}'");
                continue;
            }

            await writer.WriteAsync(pin.ToPinData(job.Tenant, pin.Version > 0 ? pin.Version : VersionClock.Next()), cancellationToken);
        }
    }

    private async Task PublishAsync(ChannelReader<PinData> reader, ImportJob job, int batchSize, CancellationToken cancellationToken)
    {
        var batch = new List<PinData>(batchSize);
        var session = publisher.StartSession();
        var added = 0;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (batch.Count < batchSize && reader.TryRead(out var pin))
            {
                batch.Add(pin);
            }

            if (batch.Count == batchSize || reader.Completion.IsCompleted)
            {
                await Flush(batch);
            }
            else if (batch.Count > 0 && !await WaitForMore(reader, cancellationToken))
            {
                await Flush(batch);
            }
        }

        await Flush(batch);
        await session.CompleteAsync();
        job.Accepted(added);

        async Task Flush(List<PinData> pins)
        {
            if (pins.Count == 0)
            {
                return;
            }

            // A batch counts as accepted once the broker confirmed it: the previous one is confirmed when AddAsync
            // returns, this one at the next Flush or at the end.
            await session.AddAsync(pins, cancellationToken);
            job.Accepted(added);
            added = pins.Count;
            pins.Clear();
        }
    }

    /// <summary>Waits briefly for the batch to fill so a slow upload still publishes full batches; false on timeout.</summary>
    private static async Task<bool> WaitForMore(ChannelReader<PinData> reader, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromMilliseconds(50));
        try
        {
            return await reader.WaitToReadAsync(wait.Token) && reader.TryPeek(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Import {JobId} of {File}: {Accepted} rows ingested, {Rejected} rejected ({State})")]
    private static partial void LogFinished(ILogger logger, string jobId, string file, long accepted, long rejected, string state);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Import {JobId} failed")]
    private static partial void LogFailed(ILogger logger, string jobId, Exception exception);
}
