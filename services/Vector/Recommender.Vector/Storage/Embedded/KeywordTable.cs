namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// Interns normalised keyword values (brands, colours, categories) as small ints, so filters compare ints instead of
/// hashing strings per candidate. Grows only; written under the store's write lock, read under its read lock.
/// </summary>
internal sealed class KeywordTable
{
    public const int Unknown = -1;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int Count => _ids.Count;

    public int Intern(string normalized)
    {
        if (!_ids.TryGetValue(normalized, out var id))
        {
            id = _ids.Count;
            _ids[normalized] = id;
        }

        return id;
    }

    /// <summary>The id of a value some pin has, or <see cref="Unknown"/> (then no pin can match it).</summary>
    public int Find(string normalized) => _ids.TryGetValue(normalized, out var id) ? id : Unknown;
}
