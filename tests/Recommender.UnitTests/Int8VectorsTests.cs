using System.Runtime.Intrinsics.X86;
using Recommender.Embeddings;

namespace Recommender.UnitTests;

/// <summary>The exact int8 dot product that the vector store's shortlist and Ranking's MMR similarities share: each kernel
/// against a product-by-product sum.</summary>
public sealed class Int8VectorsTests
{
    public static TheoryData<int, int> Lengths => new()
    {
        { 256, 1 }, { 512, 2 }, { 384, 3 }, { 100, 4 }, { 31, 5 }, { 7, 6 }, { 0, 7 },
    };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DotPortable_RandomAndExtremeComponents_EqualsProductSum(int length, int seed)
    {
        foreach (var (a, b) in Operands(length, seed))
        {
            Assert.Equal(ProductSum(a, b), Int8Vectors.DotPortable(a, b));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DotAvx2_RandomAndExtremeComponents_EqualsProductSum(int length, int seed)
    {
        Assert.SkipUnless(Avx2.IsSupported, "This machine has no AVX2; DotPortable's test covers the kernel it runs.");
        foreach (var (a, b) in Operands(length, seed))
        {
            Assert.Equal(ProductSum(a, b), Int8Vectors.DotAvx2(a, b));
        }
    }

    private static IEnumerable<(sbyte[] A, sbyte[] B)> Operands(int length, int seed)
    {
        var random = new Random(seed);
        sbyte Next() => (sbyte)random.Next(-127, 128);
        yield return (Enumerable.Range(0, length).Select(_ => Next()).ToArray(), Enumerable.Range(0, length).Select(_ => Next()).ToArray());

        // Every pair at the saturation edge: +-127 times +-127, same and opposite signs.
        yield return (Enumerable.Repeat((sbyte)127, length).ToArray(), Enumerable.Repeat((sbyte)127, length).ToArray());
        yield return (Enumerable.Repeat((sbyte)-127, length).ToArray(), Enumerable.Repeat((sbyte)-127, length).ToArray());
        yield return (Enumerable.Repeat((sbyte)-127, length).ToArray(), Enumerable.Repeat((sbyte)127, length).ToArray());
        yield return (Enumerable.Range(0, length).Select(i => (sbyte)(i % 2 == 0 ? 127 : -127)).ToArray(), Enumerable.Repeat((sbyte)-127, length).ToArray());
    }

    private static int ProductSum(sbyte[] a, sbyte[] b)
    {
        var sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
