using Recommender.Contracts;

namespace Recommender.Vector.Storage.Embedded;

/// <summary>
/// A segment's filter fields by slot, column by column (keyword ids, stock flag, price), so a filter is evaluated
/// with tight loops over contiguous arrays instead of chasing one object per pin. Category paths of up to
/// <see cref="CategoryLevels"/> levels are stored inline; deeper paths keep the rest in a side table.
/// </summary>
internal sealed class FilterColumns
{
    public const int CategoryLevels = 6;
    public const int None = -1;

    private int[] _brand = [];
    private int[] _colour = [];
    private int[] _categories = [];
    private byte[] _inStock = [];
    private double[] _price = [];

    /// <summary>Category ids beyond the inline levels, by slot.</summary>
    public Dictionary<int, int[]> CategoryOverflow { get; } = [];

    public int Capacity => _brand.Length;

    public ReadOnlySpan<int> Brand => _brand;

    public ReadOnlySpan<int> Colour => _colour;

    /// <summary><see cref="CategoryLevels"/> ids per slot, padded with <see cref="None"/>.</summary>
    public ReadOnlySpan<int> Categories => _categories;

    /// <summary>1 in stock, 0 not.</summary>
    public ReadOnlySpan<byte> InStock => _inStock;

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
        Grow(ref _inStock, size, (byte)0);
        Grow(ref _price, size, double.NaN);
    }

    public void Set(int slot, PinData pin, KeywordTable keywords)
    {
        EnsureCapacity(slot + 1);
        _brand[slot] = keywords.Intern(FilterFields.NormalizeKeyword(pin.Brand));
        _colour[slot] = keywords.Intern(FilterFields.NormalizeKeyword(pin.Colour));
        _inStock[slot] = pin.InStock ? (byte)1 : (byte)0;
        _price[slot] = pin.Price ?? double.NaN;
        var levels = _categories.AsSpan(slot * CategoryLevels, CategoryLevels);
        levels.Fill(None);
        CategoryOverflow.Remove(slot);
        var path = pin.CategoryPath;
        for (var i = 0; i < path.Count; i++)
        {
            var id = keywords.Intern(FilterFields.NormalizeKeyword(path[i]));
            if (i < CategoryLevels)
            {
                levels[i] = id;
            }
        }

        if (path.Count > CategoryLevels)
        {
            CategoryOverflow[slot] = path.Skip(CategoryLevels).Select(c => keywords.Intern(FilterFields.NormalizeKeyword(c))).ToArray();
        }
    }

    public void Clear(int slot)
    {
        _brand[slot] = None;
        _colour[slot] = None;
        _inStock[slot] = 0;
        _price[slot] = double.NaN;
        _categories.AsSpan(slot * CategoryLevels, CategoryLevels).Fill(None);
        CategoryOverflow.Remove(slot);
    }

    private static void Grow<T>(ref T[] array, int size, T fill)
    {
        var old = array.Length;
        Array.Resize(ref array, size);
        array.AsSpan(old).Fill(fill);
    }
}
