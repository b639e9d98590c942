using System.Buffers.Binary;
using System.Globalization;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Durable state of the embedded store: a snapshot plus append-only logs. Every record is framed as
/// [length u32][crc32 u32][body], so a write torn by a crash is detected and cut off on open, never applied.
/// Compaction writes a new snapshot to a temporary file, fsyncs it and renames it over the old one (atomic), so a
/// crash at any point leaves either the old or the new snapshot plus the logs that follow it.
/// </summary>
internal sealed class StoreFiles : IDisposable
{
    private const uint SnapshotMagic = 0x31535652; // "RVS1"
    private const string SnapshotName = "snapshot.bin";
    private const int MaxRecordBytes = 64 * 1024 * 1024;

    private readonly string _directory;
    private FileStream? _log;
    private long _logSequence;

    public StoreFiles(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    public long LogBytes => _log?.Length ?? 0;

    /// <summary>Number of bytes cut off torn log tails on open.</summary>
    public long TruncatedBytes { get; private set; }

    /// <summary>Reads the snapshot and every log after it, cutting off a torn tail, and opens the log for append.</summary>
    public IEnumerable<LogRecord> Open()
    {
        var nextSequence = 1L;
        var snapshotPath = Path.Combine(_directory, SnapshotName);
        if (File.Exists(snapshotPath))
        {
            using var snapshot = new FileStream(snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> header = stackalloc byte[12];
            snapshot.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != SnapshotMagic)
            {
                throw new InvalidDataException($"{snapshotPath} is not a Recommender vector snapshot.");
            }

            nextSequence = BinaryPrimitives.ReadInt64LittleEndian(header[4..]);
            var (records, goodLength) = ReadFramed(snapshot);
            if (goodLength != snapshot.Length)
            {
                // Snapshots are renamed into place only after an fsync, so this is disk damage, not a crash.
                throw new InvalidDataException($"{snapshotPath} is damaged at byte {goodLength}.");
            }

            foreach (var record in records)
            {
                yield return record;
            }
        }

        var logs = ListLogs();
        foreach (var (sequence, path) in logs.Where(l => l.Sequence < nextSequence))
        {
            File.Delete(path); // already folded into the snapshot by a compaction that crashed before cleaning up
        }

        var toReplay = logs.Where(l => l.Sequence >= nextSequence).ToList();
        foreach (var (_, path) in toReplay)
        {
            List<LogRecord> records;
            using (var log = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                (records, var goodLength) = ReadFramed(log);
                if (goodLength < log.Length)
                {
                    TruncatedBytes += log.Length - goodLength;
                    log.SetLength(goodLength);
                    log.Flush(true);
                }
            }

            foreach (var record in records)
            {
                yield return record;
            }
        }

        _logSequence = toReplay.Count > 0 ? toReplay[^1].Sequence : nextSequence;
        OpenLog(_logSequence);
    }

    public void Append(IEnumerable<LogRecord> records)
    {
        var log = _log ?? throw new InvalidOperationException("The store files are not open.");
        using var body = new MemoryStream();
        using var writer = new BinaryWriter(body);
        using var frame = new MemoryStream();
        Span<byte> header = stackalloc byte[8];
        foreach (var record in records)
        {
            body.SetLength(0);
            record.Write(writer);
            writer.Flush();
            var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.Compute(bytes));
            frame.Write(header);
            frame.Write(bytes);
        }

        log.Write(frame.GetBuffer().AsSpan(0, (int)frame.Length));
    }

    /// <summary>Makes everything appended so far durable (fsync). Call before acknowledging the change.</summary>
    public void Flush() => _log?.Flush(true);

    /// <summary>Replaces snapshot + logs by a snapshot of <paramref name="state"/> and an empty log.</summary>
    public void Compact(IEnumerable<LogRecord> state)
    {
        var oldSequence = _logSequence;
        _log?.Flush(true);
        _log?.Dispose();
        _logSequence = oldSequence + 1;
        OpenLog(_logSequence);

        var snapshotPath = Path.Combine(_directory, SnapshotName);
        var tmpPath = snapshotPath + ".tmp";
        using (var tmp = new FileStream(tmpPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Span<byte> header = stackalloc byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(header, SnapshotMagic);
            BinaryPrimitives.WriteInt64LittleEndian(header[4..], _logSequence);
            tmp.Write(header);
            var log = _log;
            _log = tmp;
            try
            {
                Append(state);
            }
            finally
            {
                _log = log;
            }

            tmp.Flush(true);
        }

        File.Move(tmpPath, snapshotPath, overwrite: true);
        foreach (var (sequence, path) in ListLogs().Where(l => l.Sequence <= oldSequence))
        {
            File.Delete(path);
        }
    }

    public void Dispose()
    {
        _log?.Flush(true);
        _log?.Dispose();
        _log = null;
    }

    private void OpenLog(long sequence)
    {
        var path = Path.Combine(_directory, $"log-{sequence.ToString("D8", CultureInfo.InvariantCulture)}.bin");
        _log = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
    }

    private List<(long Sequence, string Path)> ListLogs() =>
        Directory.EnumerateFiles(_directory, "log-*.bin")
            .Select(p => (Name: Path.GetFileNameWithoutExtension(p), Path: p))
            .Where(x => long.TryParse(x.Name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(x => (long.Parse(x.Name.AsSpan(4), CultureInfo.InvariantCulture), x.Path))
            .OrderBy(x => x.Item1)
            .ToList();

    /// <summary>Reads framed records until the end or the first torn or corrupt one.</summary>
    private static (List<LogRecord> Records, long GoodLength) ReadFramed(Stream stream)
    {
        var records = new List<LogRecord>();
        var good = stream.Position;
        Span<byte> header = stackalloc byte[8];
        while (true)
        {
            if (stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8)
            {
                return (records, good);
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (length == 0 || length > MaxRecordBytes)
            {
                return (records, good);
            }

            var body = new byte[length];
            if (stream.ReadAtLeast(body, (int)length, throwOnEndOfStream: false) < length || Crc32.Compute(body) != crc)
            {
                return (records, good);
            }

            using var reader = new BinaryReader(new MemoryStream(body));
            records.Add(LogRecord.Read(reader));
            good = stream.Position;
        }
    }
}
