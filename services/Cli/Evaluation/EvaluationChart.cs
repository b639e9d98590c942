using System.Globalization;
using System.Security;
using System.Text;

namespace Recommender.Cli.Evaluation;

/// <summary>
/// A hand-written SVG: on the left, bars of NDCG@10 and recall@100 for the run and the BM25 baseline; on the right,
/// the distribution of per-query NDCG@10 differences (run minus BM25) in bins of 0.1, losses red, ties grey (their own
/// bar at 0), wins green.
/// </summary>
public static class EvaluationChart
{
    private const int Width = 960;
    private const int Height = 420;
    private const int Top = 60;
    private const int Bottom = 360;

    public static string Render(string title, Summary summary, IReadOnlyList<QueryScore> scores, string runLabel)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        Text(svg, Width / 2, 24, Escape(title), "middle", 16);
        Bars(svg, summary, runLabel);
        Histogram(svg, scores);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Bars(StringBuilder svg, Summary s, string runLabel)
    {
        const int left = 60;
        const int plotWidth = 360;
        Axis(svg, left, plotWidth, 0, 1);
        var groups = new[] { ("NDCG@10", s.Ndcg10, s.BaselineNdcg10), ("recall@100", s.Recall100, s.BaselineRecall100) };
        var groupWidth = plotWidth / groups.Length;
        for (var g = 0; g < groups.Length; g++)
        {
            var (name, run, baseline) = groups[g];
            var x0 = left + (g * groupWidth) + 30;
            Bar(svg, x0, 50, run, "#2b6cb0");
            Bar(svg, x0 + 60, 50, baseline, "#a0aec0");
            Text(svg, x0 + 55, Bottom + 18, name, "middle", 12);
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + 10}\" y=\"{Top - 22}\" width=\"12\" height=\"12\" fill=\"#2b6cb0\"/>\n");
        Text(svg, left + 26, Top - 12, Escape(runLabel), "start", 12);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + 190}\" y=\"{Top - 22}\" width=\"12\" height=\"12\" fill=\"#a0aec0\"/>\n");
        Text(svg, left + 206, Top - 12, "BM25 (Lucene EnglishAnalyzer)", "start", 12);
    }

    private static void Bar(StringBuilder svg, int x, int width, double value, string colour)
    {
        if (double.IsNaN(value))
        {
            Text(svg, x + (width / 2), Bottom - 4, "n/a", "middle", 11);
            return;
        }

        var h = value * (Bottom - Top);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{Bottom - h:F1}\" width=\"{width}\" height=\"{h:F1}\" fill=\"{colour}\"/>\n");
        Text(svg, x + (width / 2), (int)(Bottom - h) - 4, value.ToString("F3", CultureInfo.InvariantCulture), "middle", 11);
    }

    private static void Histogram(StringBuilder svg, IReadOnlyList<QueryScore> scores)
    {
        const int left = 520;
        const int plotWidth = 400;
        const int bins = 21; // 10 bins of losses, the ties, 10 bins of wins
        var counts = new int[bins];
        int wins = 0, losses = 0, ties = 0;
        foreach (var d in scores.Select(s => s.NdcgDelta).Where(d => !double.IsNaN(d)))
        {
            if (Math.Abs(d) < 1e-9)
            {
                ties++;
                counts[10]++;
            }
            else if (d > 0)
            {
                wins++;
                counts[11 + Math.Clamp((int)Math.Ceiling(d * 10) - 1, 0, 9)]++;
            }
            else
            {
                losses++;
                counts[Math.Clamp((int)Math.Floor((d + 1) * 10), 0, 9)]++;
            }
        }

        var max = Math.Max(1, counts.Max());
        Axis(svg, left, plotWidth, 0, max);
        var binWidth = plotWidth / (double)bins;
        for (var i = 0; i < bins; i++)
        {
            var h = counts[i] / (double)max * (Bottom - Top);
            var (colour, label) = i switch
            {
                < 10 => ("#e53e3e", string.Create(CultureInfo.InvariantCulture, $"[{(i - 10) / 10.0:F1}, {(i - 9) / 10.0:F1})")),
                10 => ("#a0aec0", "equal"),
                _ => ("#38a169", string.Create(CultureInfo.InvariantCulture, $"({(i - 11) / 10.0:F1}, {(i - 10) / 10.0:F1}]")),
            };
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{left + (i * binWidth) + 1:F1}\" y=\"{Bottom - h:F1}\" width=\"{binWidth - 2:F1}\" height=\"{h:F1}\" fill=\"{colour}\"><title>{label}: {counts[i]}</title></rect>\n");
        }

        foreach (var tick in new[] { -1.0, -0.5, 0.0, 0.5, 1.0 })
        {
            var slot = tick switch
            {
                < 0 => (tick + 1) * 10,
                0 => 10.5,
                _ => 11 + (tick * 10),
            };
            Text(svg, (int)(left + (slot * binWidth)), Bottom + 16, tick.ToString("0.0", CultureInfo.InvariantCulture), "middle", 11);
        }

        Text(svg, left + (plotWidth / 2), Bottom + 34, "per-query NDCG@10 of the run minus BM25", "middle", 12);
        Text(svg, left + (plotWidth / 2), Top - 12,
            $"queries: {wins} better, {ties} equal, {losses} worse than BM25", "middle", 12);
    }

    private static void Axis(StringBuilder svg, int left, int plotWidth, double min, double max)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Top}\" x2=\"{left}\" y2=\"{Bottom}\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Bottom}\" x2=\"{left + plotWidth}\" y2=\"{Bottom}\" stroke=\"black\"/>\n");
        for (var i = 0; i <= 4; i++)
        {
            var value = min + ((max - min) * i / 4);
            var y = Bottom - ((Bottom - Top) * i / 4.0);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left - 4}\" y1=\"{y:F1}\" x2=\"{left + plotWidth}\" y2=\"{y:F1}\" stroke=\"#e2e8f0\"/>\n");
            Text(svg, left - 6, (int)y + 4, max > 1 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.00", CultureInfo.InvariantCulture), "end", 11);
        }
    }

    private static void Text(StringBuilder svg, int x, int y, string text, string anchor, int size) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" font-size=\"{size}\">{text}</text>\n");

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
