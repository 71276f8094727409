using System.Globalization;

namespace Xbm.Configuration;

/// <summary>One key whose value differs between two configurations ("(unset)" when a side lacks it).</summary>
/// <param name="Key">The dotted key, e.g. "optimizer.lr".</param>
/// <param name="Old">The value in the first configuration.</param>
/// <param name="New">The value in the second.</param>
public sealed record ConfigChange(string Key, string Old, string New)
{
    /// <summary>"optimizer.lr: 0.001 → 0.01".</summary>
    public override string ToString() => $"{Key}: {Old} → {New}";
}

/// <summary>Compares two configuration trees key by key (nested sections flattened to dotted keys).</summary>
public static class ConfigDiff
{
    /// <summary>The value shown for a key one side does not have.</summary>
    public const string Unset = "(unset)";

    /// <summary>The keys whose values differ, in ordinal key order.</summary>
    public static IReadOnlyList<ConfigChange> Between(IReadOnlyDictionary<string, object?> old, IReadOnlyDictionary<string, object?> @new)
    {
        var a = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var b = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Flatten(old, "", a);
        Flatten(@new, "", b);
        return a.Keys.Union(b.Keys).Order(StringComparer.Ordinal)
            .Select(k => new ConfigChange(k, a.GetValueOrDefault(k, Unset), b.GetValueOrDefault(k, Unset)))
            .Where(c => c.Old != c.New).ToList();
    }

    private static void Flatten(IEnumerable<KeyValuePair<string, object?>> map, string prefix, IDictionary<string, string> into)
    {
        foreach (var (key, value) in map)
        {
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is IDictionary<string, object?> sub && sub.Count > 0)
                Flatten(sub, path, into);
            else
                into[path] = Format(value);
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        IDictionary<string, object?> => "{}",
        System.Collections.IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object?>().Select(Format)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
