using System.Globalization;
using System.Text;
using Xbm.Training;

namespace Xbm.Tests.Reporting;

/// <summary>Run folders written by hand (config.yaml, metrics.csv, evaluations.csv, optional drift.csv) for report tests.</summary>
internal static class SyntheticRuns
{
    /// <summary>Writes a run of <paramref name="iterations"/> logged every 10 iterations and evaluated every 50.</summary>
    public static string Write(string parent, string name, long seed, bool memory, bool drift, int iterations = 200, double finalRecall = 0.8)
    {
        string folder = Path.Combine(parent, name);
        Directory.CreateDirectory(folder);
        string memoryYaml = memory ? "memory:\n  kind: fifo\n  start_iteration: 50\n  weight: 1.0\n" : "memory: none\n";
        File.WriteAllText(Path.Combine(folder, "config.yaml"),
            $"name: {(memory ? "xbm" : "baseline")}\nseed: {seed}\niterations: {iterations}\ndata:\n  dataset: fashion_mnist\nmodel:\n  backbone: small_cnn\n  dimension: 64\nloss:\n  name: contrastive\n{memoryYaml}");

        var metrics = new StringBuilder(string.Join(',', TrainingLog.MetricColumns) + "\n");
        for (int t = 10; t <= iterations; t += 10)
        {
            bool active = memory && t >= 50;
            double loss = 5.0 / Math.Sqrt(t) + 0.01 * seed;
            var cells = new object?[]
            {
                t, 3e-4, active ? loss + 40 : loss, loss, active ? 40.0 : null, 12, 100,
                active ? Math.Min(1000, (t - 40) * 16) : null, active ? t - 50 : null, active ? 30 : null, active ? 900 + t : null,
                active ? 0.7 : null, active ? 0.1 + t / 10000.0 : null, 500.0, loss / 112, active ? 40.0 / 930 : null, null, // no cross-entropy: a retrieval run
            };
            metrics.Append(string.Join(',', cells.Select(c => c is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : ""))).Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, "metrics.csv"), metrics.ToString());

        var evaluations = new StringBuilder("iteration,split,metric,value\n");
        for (int t = 50; t <= iterations; t += 50)
        {
            double recall = finalRecall - 0.1 * (iterations - t) / iterations + 0.001 * seed;
            foreach (var (metric, value) in new[] { ("Recall@1", recall), ("Recall@2", recall + 0.05), ("R-Precision", recall / 2), ("MAP@R", recall / 3) })
                evaluations.Append(CultureInfo.InvariantCulture, $"{t},test,{metric},{value.ToString("R", CultureInfo.InvariantCulture)}\n");
        }
        File.WriteAllText(Path.Combine(folder, "evaluations.csv"), evaluations.ToString());

        if (drift)
        {
            var text = new StringBuilder("iteration,delta,drift\n");
            foreach (long delta in new[] { 10L, 100L })
                for (long t = delta; t <= iterations; t += 10)
                    text.Append(CultureInfo.InvariantCulture, $"{t},{delta},{(delta / 100.0 / Math.Sqrt(t)).ToString("R", CultureInfo.InvariantCulture)}\n");
            File.WriteAllText(Path.Combine(folder, "drift.csv"), text.ToString());
        }
        return folder;
    }
}
