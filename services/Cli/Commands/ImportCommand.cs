using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Recommender.ServiceDefaults.Security;
using Recommender.Contracts.Ingestion.V1;
using Spectre.Console;

namespace Recommender.Cli.Commands;

/// <summary>
/// <c>import --file F [--api-key K] [--tenant T] [--format jsonl|csv] --ingestion URL</c>: streams a catalog file to a running
/// Ingestion service (ImportCatalog) with a progress bar, then prints ingested / rejected / time and every bad line
/// the service reported.
/// </summary>
public static class ImportCommand
{
    private const int ChunkBytes = 64 * 1024;

    public static Command Create()
    {
        var file = new Option<FileInfo>("--file") { Description = "Catalog file: JSON Lines or CSV, optionally .gz.", Required = true };
        var tenant = new Option<string>("--tenant") { Description = "Tenant the pins belong to (default: the API key's tenant).", DefaultValueFactory = _ => "" };
        var apiKey = new Option<string>("--api-key")
        {
            Description = "Admin API key of the tenant (default: the RECOMMENDER_API_KEY environment variable).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RECOMMENDER_API_KEY") ?? "",
        };
        var format = new Option<string>("--format") { Description = "jsonl or csv (default: from the file name)." };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var ingestion = new Option<string>("--ingestion") { Description = "gRPC address of the Ingestion service.", DefaultValueFactory = _ => "http://127.0.0.1:5001" };
        var command = new Command("import", "Import a catalog file through a running Ingestion service.") { file, tenant, format, ingestion, apiKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]No file at {path.FullName}.[/]");
                return 2;
            }

            using var channel = GrpcChannel.ForAddress(parse.GetValue(ingestion)!);
            var key = parse.GetValue(apiKey)!;
            var client = new IngestionService.IngestionServiceClient(channel.WithApiKey(key));
            var header = new ImportHeader
            {
                Tenant = parse.GetValue(tenant)!,
                FileName = path.Name,
                JobId = "cli-" + Guid.NewGuid().ToString("N")[..12],
                Format = parse.GetValue(format) switch
                {
                    "jsonl" => CatalogFormat.Jsonl,
                    "csv" => CatalogFormat.Csv,
                    _ => CatalogFormat.Unspecified,
                },
            };

            var started = Stopwatch.GetTimestamp();
            IngestStatus status;
            try
            {
                status = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var upload = progress.AddTask($"Importing {Markup.Escape(path.Name)}", maxValue: Math.Max(1, path.Length));
                        using var call = client.ImportCatalog(cancellationToken: cancellationToken);
                        await call.RequestStream.WriteAsync(new ImportCatalogRequest { Header = header }, cancellationToken);
                        await using var stream = path.OpenRead();
                        var buffer = new byte[ChunkBytes];
                        int read;
                        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                        {
                            // WriteAsync waits while the service applies backpressure, so the bar shows real progress.
                            await call.RequestStream.WriteAsync(new ImportCatalogRequest { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
                            upload.Increment(read);
                        }

                        await call.RequestStream.CompleteAsync();
                        upload.Description = $"Publishing {Markup.Escape(path.Name)}";
                        var result = await call;
                        upload.Value = upload.MaxValue;
                        return result;
                    });
            }
            catch (RpcException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]Import failed: {ex.StatusCode}: {ex.Status.Detail}[/]");
                return 1;
            }

            Report(status, Stopwatch.GetElapsedTime(started));
            return status.State == ImportState.Completed ? 0 : 1;
        });
        return command;
    }

    private static void Report(IngestStatus status, TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        var table = new Table().AddColumns("job", "state", "rows", "ingested", "rejected", "time", "pins/s");
        table.AddRow(
            status.JobId, status.State.ToString(), status.Rows.ToString("N0", CultureInfo.InvariantCulture),
            status.Accepted.ToString("N0", CultureInfo.InvariantCulture), status.Rejected.ToString("N0", CultureInfo.InvariantCulture),
            $"{seconds:F1} s", (status.Accepted / seconds).ToString("N0", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (status.Failure.Length > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Failure: {status.Failure}[/]");
        }

        if (status.Errors.Count > 0)
        {
            var errors = new Table().AddColumns("line", "reason");
            foreach (var error in status.Errors)
            {
                errors.AddRow(error.Line.ToString(CultureInfo.InvariantCulture), Markup.Escape(error.Reason));
            }

            AnsiConsole.Write(errors);
            if (status.ErrorsTruncated)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Only the first {status.Errors.Count} of {status.Rejected} rejected rows are listed.[/]");
            }
        }
    }
}
