using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Recommender.Ranking.Model;

/// <summary>One query's candidates: their feature rows and integer relevance grades (0 = not relevant).</summary>
public sealed record RankingGroup(string QueryId, float[][] Features, int[] Grades);

public sealed record LambdaRankOptions
{
    public int Trees { get; init; } = 300;
    public int Leaves { get; init; } = 31;
    public double LearningRate { get; init; } = 0.05;
    public int MinRowsPerLeaf { get; init; } = 50;

    /// <summary>Gain of each grade (index = grade). Linear in the grade, like the evaluation's label - 1.</summary>
    public int[] Gains { get; init; } = [0, 1, 2, 3, 4];

    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Trains LightGBM LambdaRank through ML.NET (rows of a query contiguous, the query id a key column) and exports the
/// trained trees into <see cref="TreeEnsembleData"/> for <see cref="TreeEnsembleRanker"/>. Early stopping is done
/// on the exported ensemble (<see cref="TreeEnsembleData.Take"/>: boosting is additive, so the first k trees are the
/// model after k rounds): ML.NET 5.0.1's LightGBM ranking with a validation set merged the validation queries into
/// one group ("Number of rows 177378 exceeds upper limit of 10000 for a query").
/// </summary>
public static class LambdaRankTrainer
{
    public static RankingPredictionTransformer<LightGbmRankingModelParameters> Train(
        MLContext ml, IReadOnlyList<RankingGroup> train, int featureCount, LambdaRankOptions options)
    {
        var trainData = ToDataView(ml, train, featureCount);
        var trainer = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = "Features",
            RowGroupColumnName = "GroupId",
            NumberOfIterations = options.Trees,
            NumberOfLeaves = options.Leaves,
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = options.MinRowsPerLeaf,
            CustomGains = options.Gains,
            NumberOfThreads = options.Threads,
            Seed = options.Seed,
            Verbose = false,
            Silent = true,
        });
        return trainer.Fit(trainData);
    }

    /// <summary>The grouped rows as an IDataView: Label (grade), Features (float vector), GroupId (key).</summary>
    public static IDataView ToDataView(MLContext ml, IReadOnlyList<RankingGroup> groups, int featureCount)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        var data = ml.Data.LoadFromEnumerable(Rows(groups), schema);
        return ml.Transforms.Conversion.MapValueToKey(nameof(Row.GroupId)).Fit(data).Transform(data);
    }

    /// <summary>Copies ML.NET's trees into the artifact form; node values for explanations are the cover-weighted
    /// means of the leaves under each node, covers counted by running <paramref name="coverRows"/> through the tree
    /// (plain leaf means when none are given).</summary>
    public static TreeEnsembleData Export(LightGbmRankingModelParameters model, IEnumerable<float[]>? coverRows = null)
    {
        var ensemble = model.TrainedTreeEnsemble;
        var trees = new List<TreeData>(ensemble.Trees.Count);
        var sample = coverRows?.ToList() ?? [];
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            var nodes = tree.NumberOfNodes;
            if (tree.CategoricalSplitFlags.Any(c => c))
            {
                throw new NotSupportedException("Categorical splits are not supported by the exported ranker.");
            }

            var feature = tree.NumericalSplitFeatureIndexes.ToArray();
            var threshold = tree.NumericalSplitThresholds.ToArray();
            var left = tree.LeftChild.ToArray();
            var right = tree.RightChild.ToArray();
            var leaves = tree.LeafValues.ToArray();
            if (nodes == 0 || feature.Length == 0)
            {
                trees.Add(new TreeData([], [], [], [], leaves.Length > 0 ? [leaves[0]] : [0], [], ensemble.TreeWeights[t]));
                continue;
            }

            var leafCover = new double[leaves.Length];
            foreach (var row in sample)
            {
                var node = 0;
                while (node >= 0)
                {
                    node = row[feature[node]] <= threshold[node] ? left[node] : right[node];
                }

                leafCover[~node]++;
            }

            if (sample.Count == 0)
            {
                Array.Fill(leafCover, 1);
            }

            var nodeValues = new double[feature.Length];
            for (var i = 0; i < feature.Length; i++)
            {
                double sum = 0, cover = 0;
                Accumulate(i, left, right, leaves, leafCover, ref sum, ref cover);
                nodeValues[i] = cover > 0 ? sum / cover : 0;
            }

            trees.Add(new TreeData(feature, threshold, left, right, leaves, nodeValues, ensemble.TreeWeights[t]));
        }

        return new TreeEnsembleData(ensemble.Bias, trees);
    }

    private static void Accumulate(int child, int[] left, int[] right, double[] leaves, double[] cover, ref double sum, ref double count)
    {
        if (child < 0)
        {
            var leaf = ~child;
            sum += leaves[leaf] * cover[leaf];
            count += cover[leaf];
            return;
        }

        Accumulate(left[child], left, right, leaves, cover, ref sum, ref count);
        Accumulate(right[child], left, right, leaves, cover, ref sum, ref count);
    }

    private static IEnumerable<Row> Rows(IReadOnlyList<RankingGroup> groups)
    {
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            for (var i = 0; i < group.Features.Length; i++)
            {
                yield return new Row { Label = group.Grades[i], Features = group.Features[i], GroupId = (uint)(g + 1) };
            }
        }
    }

    private sealed class Row
    {
        public float Label { get; set; }

        public float[] Features { get; set; } = [];

        public uint GroupId { get; set; }
    }
}
