using System.Globalization;

namespace Xbm.Data;

/// <summary>Formats labels for search output and reports, with the class name when one is known.</summary>
public static class LabelNames
{
    /// <summary>"3 (dog)" when <paramref name="names"/> holds a name for <paramref name="label"/>, "3" otherwise (and "-1" for unknown).</summary>
    public static string Format(IReadOnlyDictionary<long, string>? names, long label)
    {
        string number = label.ToString(CultureInfo.InvariantCulture);
        return names is not null && names.TryGetValue(label, out string? name) ? $"{number} ({name})" : number;
    }
}
