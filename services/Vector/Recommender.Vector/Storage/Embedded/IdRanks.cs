using System.Runtime.CompilerServices;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Each slot's position in the ordinal order of the segment's pin ids, so top-k tie breaks (equal scores go to the
/// smaller id) compare two ints instead of two strings behind four references. Built from a snapshot of the live ids;
/// a slot that received a new id since is unranked (0) and compares by its id string, so ranks never have to be right
/// for pins they do not know: an id keeps its slot while it lives, so the order of two ranked slots stays true.
/// A search rebuilds the ranks when more than an eighth of the live pins are unranked (see <see cref="Segment"/>).
/// Writes happen under the store's write lock; a rebuild under a read lock publishes a new array (searches that read
/// the old one keep a consistent, only less complete, snapshot).
/// </summary>
internal sealed class IdRanks
{
    private int[] _ranks = [];
    private int _unranked;
    private int _building;

    /// <summary>Ranks by slot (1-based; 0 = unknown). Read once per search.</summary>
    public int[] Current => Volatile.Read(ref _ranks);

    /// <summary>Live slots without a rank.</summary>
    public int Unranked => Volatile.Read(ref _unranked);

    /// <summary>The slot's rank in a snapshot of <see cref="Current"/> (0 = unknown, also for a slot newer than it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of(int[] ranks, int slot) => (uint)slot < (uint)ranks.Length ? ranks[slot] : 0;

    /// <summary>Ordinal order of two pins' ids from their ranks when both have one, else from the id strings (a rank of 0
    /// is unknown).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(int rankA, Segment.Entry a, int rankB, Segment.Entry b) =>
        rankA != 0 && rankB != 0 ? rankA.CompareTo(rankB) : string.CompareOrdinal(a.Point.Pin.Id, b.Point.Pin.Id);

    /// <summary>A new id took the slot (write lock held).</summary>
    public void Assigned(int slot)
    {
        if (slot < _ranks.Length)
        {
            _ranks[slot] = 0;
        }

        _unranked++;
    }

    /// <summary>The slot's pin was deleted (write lock held).</summary>
    public void Freed(int slot)
    {
        if (slot < _ranks.Length && _ranks[slot] != 0)
        {
            _ranks[slot] = 0;
        }
        else
        {
            _unranked--;
        }
    }

    /// <summary>Ranks every live slot (read lock held, so no write runs meanwhile); one search at a time builds, the
    /// others go on with the ranks they have.</summary>
    public void Rebuild(List<Segment.Entry?> entries, int live)
    {
        if (Interlocked.CompareExchange(ref _building, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var slots = new int[live];
            var ids = new string[live];
            var n = 0;
            for (var slot = 0; slot < entries.Count && n < live; slot++)
            {
                if (entries[slot] is { } entry)
                {
                    slots[n] = slot;
                    ids[n++] = entry.Point.Pin.Id;
                }
            }

            Array.Sort(ids, slots, 0, n, StringComparer.Ordinal);
            var ranks = new int[entries.Count];
            for (var i = 0; i < n; i++)
            {
                ranks[slots[i]] = i + 1;
            }

            Volatile.Write(ref _unranked, live - n);
            Volatile.Write(ref _ranks, ranks);
        }
        finally
        {
            Volatile.Write(ref _building, 0);
        }
    }
}
