using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Recommender.Ranking.Engagement;

/// <summary>
/// The append-only engagement log of one replica: JSON lines in <c>{dir}/engagement-YYYY-MM-DD.jsonl</c> (counted
/// events) and <c>{dir}/searches-YYYY-MM-DD.jsonl</c> (searches), one file per UTC day. One writer task group-commits:
/// it takes every line waiting, writes them, flushes and fsyncs once, then completes all their appends — so the
/// consumer acknowledges a message only after its line is on disk, and a burst costs one fsync, not one per event.
/// Search lines are not waited for: they gather for <see cref="SearchFlushDelay"/> and are written together, so a busy
/// replica makes one write (and one wake-up of the writer and of any file watcher on the folder) per interval instead
/// of one per search.
/// </summary>
public sealed class EngagementLog : IAsyncDisposable
{
    public const string EngagementPrefix = "engagement-";
    public const string SearchPrefix = "searches-";
    /// <summary>How long search lines gather before they are written (a crash loses at most this much of them).</summary>
    public static readonly TimeSpan SearchFlushDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Tells the writer to take the gathered search lines.</summary>
    private static readonly Pending FlushSearches = new("", "", null);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<Pending> _searches = new();
    private readonly Dictionary<string, FileStream> _open = new(StringComparer.Ordinal);
    private readonly Timer _searchTimer;
    private readonly Task _writer;
    private int _searchFlushArmed;

    public EngagementLog(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _searchTimer = new Timer(static state => ((EngagementLog)state!)._queue.Writer.TryWrite(FlushSearches), this, Timeout.Infinite, Timeout.Infinite);
        _writer = Task.Run(WriteLoopAsync);
    }

    public string Directory { get; }

    /// <summary>Lines written and fsynced so far.</summary>
    public long Written { get; private set; }

    /// <summary>Appends a counted event; completes when the line is on disk. Cancellation is deliberately not
    /// honoured once queued: an append that might still reach the disk must not look failed.</summary>
    public Task AppendAsync(EngagementRecord record)
    {
        var pending = new Pending(FileName(EngagementPrefix, record.LoggedAt), record.ToJson(), new(TaskCreationOptions.RunContinuationsAsynchronously));
        return _queue.Writer.TryWrite(pending) ? pending.Done!.Task : Task.FromException(new ObjectDisposedException(nameof(EngagementLog)));
    }

    /// <summary>Appends a search record without waiting: it is written within <see cref="SearchFlushDelay"/> (or when the
    /// log is disposed). A lost search line only loses a query's text.</summary>
    public void AppendSearch(EngagementRecord record)
    {
        _searches.Enqueue(new Pending(FileName(SearchPrefix, record.Timestamp), record.ToJson(), null));
        if (Interlocked.Exchange(ref _searchFlushArmed, 1) == 0)
        {
            _searchTimer.Change(SearchFlushDelay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Engagement files whose day is on or after <paramref name="since"/>, oldest first.</summary>
    public static IReadOnlyList<string> Files(string directory, string prefix, DateTimeOffset since)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return [];
        }

        var first = since.UtcDateTime.Date;
        return System.IO.Directory.EnumerateFiles(directory, prefix + "*.jsonl")
            .Select(f => (File: f, Day: DayOf(Path.GetFileName(f), prefix)))
            .Where(x => x.Day is { } d && d >= first)
            .OrderBy(x => x.Day)
            .Select(x => x.File)
            .ToList();
    }

    /// <summary>The records of the given files in order, skipping lines that are not records (a torn last line).</summary>
    public static IEnumerable<EngagementRecord> Read(IEnumerable<string> files)
    {
        foreach (var file in files)
        {
            using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            while (reader.ReadLine() is { } line)
            {
                if (EngagementRecord.TryParse(line) is { } record)
                {
                    yield return record;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _searchTimer.DisposeAsync();
        _queue.Writer.TryWrite(FlushSearches);
        _queue.Writer.TryComplete();
        await _writer;
        foreach (var stream in _open.Values)
        {
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
        }

        _open.Clear();
    }

    private static DateTime? DayOf(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".jsonl", StringComparison.Ordinal)
        && DateTime.TryParseExact(name.AsSpan(prefix.Length, name.Length - prefix.Length - 6), "yyyy-MM-dd",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var day)
            ? day.Date
            : null;

    private string FileName(string prefix, DateTimeOffset at) =>
        Path.Combine(Directory, prefix + at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".jsonl");

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < 4096 && _queue.Reader.TryRead(out var p))
            {
                if (!ReferenceEquals(p, FlushSearches))
                {
                    batch.Add(p);
                    continue;
                }

                // Disarm first: a search appended from here on either is taken below or arms the timer again.
                Volatile.Write(ref _searchFlushArmed, 0);
                while (_searches.TryDequeue(out var search))
                {
                    batch.Add(search);
                }
            }

            try
            {
                // Engagement lines (an append waits for them) are fsynced; search lines only reach the OS (which
                // writes them back within seconds) and are fsynced when their file closes: a power loss can lose the
                // last searches, i.e. query texts, and searches do not cost an fsync each.
                var touched = new Dictionary<FileStream, bool>();
                foreach (var p in batch)
                {
                    var stream = Open(p.File);
                    stream.Write(Encoding.UTF8.GetBytes(p.Line + "\n"));
                    touched[stream] = touched.GetValueOrDefault(stream) || p.Done is not null;
                }

                foreach (var (stream, durable) in touched)
                {
                    stream.Flush(flushToDisk: durable);
                }

                Written += batch.Count;
                foreach (var p in batch)
                {
                    p.Done?.TrySetResult();
                }
            }
            catch (IOException ex)
            {
                foreach (var p in batch)
                {
                    p.Done?.TrySetException(ex);
                }
            }

            CloseOldFiles();
        }
    }

    private FileStream Open(string file)
    {
        if (_open.TryGetValue(file, out var stream))
        {
            return stream;
        }

        stream = new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        stream.Seek(0, SeekOrigin.End);
        if (stream.Length > 0)
        {
            // A crash may have left half a line: start ours on a fresh one.
            stream.Seek(-1, SeekOrigin.End);
            var last = stream.ReadByte();
            if (last != '\n')
            {
                stream.WriteByte((byte)'\n');
            }
        }

        _open[file] = stream;
        return stream;
    }

    /// <summary>The log rolls daily: when more than today's two files are open, close them all (reopening is cheap).</summary>
    private void CloseOldFiles()
    {
        if (_open.Count <= 2)
        {
            return;
        }

        foreach (var stream in _open.Values)
        {
            stream.Flush(flushToDisk: true);
            stream.Dispose();
        }

        _open.Clear();
    }

    private sealed record Pending(string File, string Line, TaskCompletionSource? Done);
}
