using System.Globalization;

namespace Xbm.Evaluation;

/// <summary>
/// Retrieval metrics by name, so reports, configs and the CLI name them and new ones are added without touching
/// the evaluator. Built in: "Recall@K" for any K ≥ 1, "R-Precision", "MAP@R". Names are case-insensitive.
/// </summary>
public static class RetrievalMetricFactory
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Func<IRetrievalMetric>> Fixed = new(StringComparer.OrdinalIgnoreCase)
    {
        ["R-Precision"] = () => new RPrecision(),
        ["MAP@R"] = () => new MapAtR(),
    };
    private static readonly Dictionary<string, Func<int, IRetrievalMetric>> Families = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Recall@"] = k => new RecallAtK(k),
    };

    /// <summary>Registers a metric under a fixed name (replacing any metric of that name).</summary>
    public static void Register(string name, Func<IRetrievalMetric> factory)
    {
        lock (Gate)
            Fixed[name] = factory;
    }

    /// <summary>Registers a family of metrics named prefix + an integer, e.g. "Precision@" for "Precision@5".</summary>
    public static void RegisterFamily(string prefix, Func<int, IRetrievalMetric> factory)
    {
        lock (Gate)
            Families[prefix] = factory;
    }

    /// <summary>The registered names; families appear as prefix + "K".</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
                return Families.Keys.Select(p => p + "K").Concat(Fixed.Keys).OrderBy(n => n, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Creates the metric called <paramref name="name"/>; an unknown name is an error listing the known ones.</summary>
    public static IRetrievalMetric Create(string name)
    {
        lock (Gate)
        {
            if (Fixed.TryGetValue(name, out var factory))
                return factory();
            foreach (var (prefix, family) in Families)
            {
                if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1)
                    return family(k);
            }
        }
        throw new ArgumentException($"unknown retrieval metric '{name}' (known: {string.Join(", ", Names)})", nameof(name));
    }
}
