using Recommender.Contracts;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// A segment's filter fields. Each field is a column by slot (keyword ids, price) so a pin's value is one array read;
/// keyword fields also have postings (value -> slots), so a keyword condition costs the size of its matches, not of
/// the segment; stock is a bitmap. Category paths of up to <see cref="CategoryLevels"/> levels are stored inline,
/// deeper levels in a side table. Postings are removed lazily: an entry counts only while the slot's column still
/// holds that value (and the slot is live, which the segment checks), and a list is compacted once half stale.
/// </summary>
internal sealed class FilterColumns
{
    public const int CategoryLevels = 6;
    public const int None = -1;

    private readonly Dictionary<int, Postings> _brandPostings = [];
    private readonly Dictionary<int, Postings> _colourPostings = [];
    private readonly Dictionary<int, Postings> _categoryPostings = [];
    private int[] _brand = [];
    private int[] _colour = [];
    private int[] _categories = [];
    private double[] _price = [];
    private ulong[] _inStock = [];

    /// <summary>Category ids beyond the inline levels, by slot.</summary>
    public Dictionary<int, int[]> CategoryOverflow { get; } = [];

    public int Capacity => _brand.Length;

    /// <summary>Bit set: the pin in that slot is in stock.</summary>
    public ReadOnlySpan<ulong> InStockBits => _inStock;

    /// <summary>NaN when the pin has no price.</summary>
    public ReadOnlySpan<double> Price => _price;

    public void EnsureCapacity(int slots)
    {
        if (slots <= _brand.Length)
        {
            return;
        }

        var size = Math.Max(slots, Math.Max(64, _brand.Length * 2));
        Grow(ref _brand, size, None);
        Grow(ref _colour, size, None);
        Grow(ref _categories, size * CategoryLevels, None);
        Grow(ref _price, size, double.NaN);
        Array.Resize(ref _inStock, (size + 63) >> 6);
    }

    public void Set(int slot, PinData pin, KeywordTable keywords)
    {
        EnsureCapacity(slot + 1);
        Clear(slot);
        _brand[slot] = keywords.Intern(FilterFields.NormalizeKeyword(pin.Brand));
        Add(_brandPostings, _brand[slot], slot);
        _colour[slot] = keywords.Intern(FilterFields.NormalizeKeyword(pin.Colour));
        Add(_colourPostings, _colour[slot], slot);
        _price[slot] = pin.Price ?? double.NaN;
        if (pin.InStock)
        {
            _inStock[slot >> 6] |= 1UL << slot;
        }

        var levels = _categories.AsSpan(slot * CategoryLevels, CategoryLevels);
        var path = pin.CategoryPath;
        var overflow = path.Count > CategoryLevels ? new int[path.Count - CategoryLevels] : null;
        for (var i = 0; i < path.Count; i++)
        {
            var id = keywords.Intern(FilterFields.NormalizeKeyword(path[i]));
            if (i < CategoryLevels)
            {
                levels[i] = id;
            }
            else
            {
                overflow![i - CategoryLevels] = id;
            }

            Add(_categoryPostings, id, slot);
        }

        if (overflow is not null)
        {
            CategoryOverflow[slot] = overflow;
        }
    }

    public void Clear(int slot)
    {
        var (brand, colour, categories) = (_brand[slot], _colour[slot], CategoriesOf(slot));
        _brand[slot] = None;
        _colour[slot] = None;
        _price[slot] = double.NaN;
        _inStock[slot >> 6] &= ~(1UL << slot);
        _categories.AsSpan(slot * CategoryLevels, CategoryLevels).Fill(None);
        CategoryOverflow.Remove(slot);

        // After the columns changed, so a compaction triggered here drops this slot.
        Stale(_brandPostings, brand);
        Stale(_colourPostings, colour);
        foreach (var id in categories)
        {
            Stale(_categoryPostings, id);
        }
    }

    /// <summary>Sets the bit of every slot whose brand is <paramref name="id"/>.</summary>
    public void MatchBrand(int id, Span<ulong> bits) => Match(_brandPostings, id, bits, slot => _brand[slot] == id);

    public void MatchColour(int id, Span<ulong> bits) => Match(_colourPostings, id, bits, slot => _colour[slot] == id);

    /// <summary>Sets the bit of every slot with <paramref name="id"/> at any level of its category path.</summary>
    public void MatchCategory(int id, Span<ulong> bits) => Match(_categoryPostings, id, bits, slot => HasCategory(slot, id));

    private bool HasCategory(int slot, int id)
    {
        var levels = _categories.AsSpan(slot * CategoryLevels, CategoryLevels);
        for (var l = 0; l < levels.Length && levels[l] != None; l++)
        {
            if (levels[l] == id)
            {
                return true;
            }
        }

        return CategoryOverflow.TryGetValue(slot, out var more) && Array.IndexOf(more, id) >= 0;
    }

    private int[] CategoriesOf(int slot)
    {
        var levels = _categories.AsSpan(slot * CategoryLevels, CategoryLevels);
        var count = levels.IndexOf(None);
        var inline = (count < 0 ? levels : levels[..count]).ToArray();
        return CategoryOverflow.TryGetValue(slot, out var more) ? [.. inline, .. more] : inline;
    }

    private static void Match(Dictionary<int, Postings> index, int id, Span<ulong> bits, Func<int, bool> holds)
    {
        if (!index.TryGetValue(id, out var postings))
        {
            return;
        }

        var slots = postings.Slots.AsSpan(0, postings.Count);
        var limit = bits.Length << 6;
        foreach (var slot in slots)
        {
            if (slot < limit && (postings.Stale == 0 || holds(slot)))
            {
                bits[slot >> 6] |= 1UL << slot;
            }
        }
    }

    private void Add(Dictionary<int, Postings> index, int id, int slot)
    {
        if (!index.TryGetValue(id, out var postings))
        {
            postings = new Postings();
            index[id] = postings;
        }

        postings.Add(slot);
    }

    private void Stale(Dictionary<int, Postings> index, int id)
    {
        if (id == None || !index.TryGetValue(id, out var postings))
        {
            return;
        }

        if (++postings.Stale > postings.Count / 2)
        {
            var holds = ReferenceEquals(index, _brandPostings) ? (Func<int, bool>)(s => _brand[s] == id)
                : ReferenceEquals(index, _colourPostings) ? s => _colour[s] == id
                : s => HasCategory(s, id);
            postings.Compact(holds);
            if (postings.Count == 0)
            {
                index.Remove(id);
            }
        }
    }

    private static void Grow<T>(ref T[] array, int size, T fill)
    {
        var old = array.Length;
        Array.Resize(ref array, size);
        array.AsSpan(old).Fill(fill);
    }

    /// <summary>Slots that had a value when added. While <see cref="Stale"/> is 0 every entry still holds (and is
    /// distinct); afterwards entries are checked against the column until the next compaction.</summary>
    private sealed class Postings
    {
        public int[] Slots = new int[4];
        public int Count;
        public int Stale;

        public void Add(int slot)
        {
            if (Count == Slots.Length)
            {
                Array.Resize(ref Slots, Count * 2);
            }

            Slots[Count++] = slot;
        }

        /// <summary>Keeps the slots that still hold the value, once each. Called while the slot being changed is
        /// already cleared, so it is dropped here and added again by the caller if it gets the value back.</summary>
        public void Compact(Func<int, bool> holds)
        {
            Array.Sort(Slots, 0, Count);
            var kept = 0;
            for (var i = 0; i < Count; i++)
            {
                var slot = Slots[i];
                if ((kept == 0 || Slots[kept - 1] != slot) && holds(slot))
                {
                    Slots[kept++] = slot;
                }
            }

            Count = kept;
            Stale = 0;
        }
    }
}
