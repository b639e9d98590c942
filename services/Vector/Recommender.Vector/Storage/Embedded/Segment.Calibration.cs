namespace Recommender.Vector.Storage.Embedded;

/// <summary>What the calibration of a clustered index measured (<see cref="EmbeddedStoreOptions.IvfTargetRecall"/>):
/// the mean recall of the scan's top hits at each probe fraction tried, and the fraction searches walk with (0: they
/// keep scanning every pin).</summary>
internal sealed record IndexCalibration(ClusterIndex Index, int Queries, double Target, double Fraction, IReadOnlyList<(double Fraction, double Recall)> Measured)
{
    public bool Walks => Fraction > 0;
}

/// <summary>The segment's calibration of its clustered index: whether, and with which probe budget, dense searches walk
/// it instead of scanning every pin.</summary>
internal sealed partial class Segment
{
    /// <summary>Probe fractions tried, as multiples of <see cref="EmbeddedStoreOptions.IvfProbeFraction"/>.</summary>
    private static readonly double[] CalibrationSteps = [1, 2, 4];

    private readonly Lock _calibrationLock = new();
    private readonly List<(float[] Query, int Limit)> _calibrationSamples = [];
    private readonly Action<IndexCalibration>? _calibrated;
    private ClusterIndex? _samplesOf;
    private bool _calibrating;
    private IndexCalibration? _calibration;

    /// <summary>The installed index's calibration, or null while its samples are gathered (searches scan meanwhile).</summary>
    public IndexCalibration? Calibration => Volatile.Read(ref _calibration) is { } c && c.Index == _index ? c : null;

    /// <summary>
    /// The probe fraction a dense search walks <paramref name="index"/> with, or 0 to scan. Unmeasured
    /// (<see cref="EmbeddedStoreOptions.IvfTargetRecall"/> 0): the configured fraction. Otherwise the calibrated one; until
    /// there is one, unfiltered searches are kept as samples, and the search that completes them runs the calibration
    /// (<see cref="Calibrate"/>) before it scans.
    /// </summary>
    private double WalkFraction(ClusterIndex index, float[] query, Selection? selection, int limit)
    {
        if (_options.IvfTargetRecall <= 0)
        {
            return _options.IvfProbeFraction;
        }

        if (Volatile.Read(ref _calibration) is { } done && done.Index == index)
        {
            return done.Fraction;
        }

        if (selection is not null)
        {
            return 0;
        }

        List<(float[] Query, int Limit)> samples;
        lock (_calibrationLock)
        {
            if (_samplesOf != index)
            {
                // A new index (a rebuild): its own samples, its own calibration.
                (_samplesOf, _calibrating) = (index, false);
                _calibrationSamples.Clear();
            }

            if (_calibrating)
            {
                return 0;
            }

            _calibrationSamples.Add(((float[])query.Clone(), limit));
            if (_calibrationSamples.Count < _options.IvfCalibrationQueries)
            {
                return 0;
            }

            (samples, _calibrating) = ([.. _calibrationSamples], true);
            _calibrationSamples.Clear();
        }

        IndexCalibration calibration;
        try
        {
            calibration = Calibrate(index, samples);
        }
        catch
        {
            lock (_calibrationLock)
            {
                // Sampled again from the next searches.
                (_calibrating, _samplesOf) = (false, null);
            }

            throw;
        }

        Volatile.Write(ref _calibration, calibration);
        _calibrated?.Invoke(calibration);
        return 0;
    }

    /// <summary>Runs each sample through the scan and through the walk at each of <see cref="CalibrationSteps"/>
    /// (smallest first, while the budget stays under half the pins), and picks the first fraction whose mean share of
    /// the scan's hits the walk also finds reaches the target.</summary>
    private IndexCalibration Calibrate(ClusterIndex index, List<(float[] Query, int Limit)> samples)
    {
        var target = _options.IvfTargetRecall;
        var prepared = samples.Select(s => new PreparedQuery(s.Query)).ToList();
        var truths = samples.Select((s, i) => QuantizedTop(s.Query, null, s.Limit, prepared[i]).Select(h => h.Entry).ToHashSet()).ToList();
        var measured = new List<(double Fraction, double Recall)>();
        foreach (var step in CalibrationSteps)
        {
            var fraction = step * _options.IvfProbeFraction;
            var sum = 0.0;
            for (var i = 0; i < samples.Count; i++)
            {
                if (Walk(index, prepared[i], samples[i].Query, null, samples[i].Limit, fraction) is not { } walked)
                {
                    return new IndexCalibration(index, samples.Count, target, 0, measured);
                }

                sum += truths[i].Count == 0 ? 1 : walked.Count(h => truths[i].Contains(h.Entry)) / (double)truths[i].Count;
            }

            measured.Add((fraction, sum / samples.Count));
            if (sum / samples.Count >= target)
            {
                return new IndexCalibration(index, samples.Count, target, fraction, measured);
            }
        }

        return new IndexCalibration(index, samples.Count, target, 0, measured);
    }
}
