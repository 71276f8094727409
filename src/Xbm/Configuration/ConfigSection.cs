using System.Globalization;

namespace Xbm.Configuration;

/// <summary>
/// A section of a configuration (a YAML mapping) with typed, validated getters. Every error names the
/// source file and the full key path. <see cref="EnsureAllUsed"/> rejects keys nobody read, so a misspelt
/// key is an error, not a silently ignored setting. Components (losses, miners, memories, datasets) take a
/// section and read their own options from it.
/// </summary>
public sealed class ConfigSection
{
    private readonly Dictionary<string, object?> _values;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    /// <summary>Creates a section from parsed values (strings, lists, nested dictionaries).</summary>
    public ConfigSection(IDictionary<string, object?> values, string source, string path = "")
    {
        _values = new Dictionary<string, object?>(values, StringComparer.Ordinal);
        Source = source;
        Path = path;
    }

    /// <summary>An empty section.</summary>
    public static ConfigSection Empty(string source, string path = "") => new(new Dictionary<string, object?>(), source, path);

    /// <summary>The file (or "--set", "defaults") the values came from.</summary>
    public string Source { get; }

    /// <summary>The key path of this section, e.g. "memory".</summary>
    public string Path { get; }

    /// <summary>The raw values (scalars as strings, lists, nested dictionaries).</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;

    /// <summary>The keys present.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool Has(string key)
    {
        _asked.Add(key);
        return _values.ContainsKey(key);
    }

    /// <summary>The full path of a key, for messages.</summary>
    public string KeyPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>An error about <paramref name="key"/> naming the file and the key path.</summary>
    public ConfigException Error(string key, string message) => new($"{Source}: {KeyPath(key)}: {message}");

    /// <summary>A string value, or <paramref name="fallback"/> when absent.</summary>
    public string String(string key, string fallback) => Scalar(key) ?? fallback;

    /// <summary>A required string value.</summary>
    public string RequiredString(string key) => Scalar(key) ?? throw Error(key, "is required");

    /// <summary>A string value that must be one of <paramref name="allowed"/>.</summary>
    public string Choice(string key, string fallback, params string[] allowed)
    {
        string value = String(key, fallback);
        if (!allowed.Contains(value, StringComparer.Ordinal))
            throw Error(key, $"'{value}' is not one of: {string.Join(", ", allowed)}");
        return value;
    }

    /// <summary>A 64-bit integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long Long(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        string? text = Scalar(key);
        if (text is null)
            return fallback;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
            throw Error(key, $"'{text}' is not an integer");
        if (value < min || value > max)
            throw Error(key, $"{value} is out of range [{Bound(min)}, {Bound(max)}]");
        return value;
    }

    /// <summary>A 32-bit integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue) => (int)Long(key, fallback, min, max);

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double Double(string key, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? text = Scalar(key);
        if (text is null)
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw Error(key, $"'{text}' is not a finite number");
        if (value < min || value > max)
            throw Error(key, $"{value.ToString(CultureInfo.InvariantCulture)} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
        return value;
    }

    /// <summary>An optional finite number (null when absent or written as null/none).</summary>
    public double? OptionalDouble(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        string? text = Scalar(key);
        if (text is null || text is "null" or "none" or "~")
            return null;
        return Double(key, 0, min, max);
    }

    /// <summary>A boolean (true/false/yes/no/on/off).</summary>
    public bool Bool(string key, bool fallback)
    {
        string? text = Scalar(key);
        return text?.ToLowerInvariant() switch
        {
            null => fallback,
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw Error(key, $"'{text}' is not a boolean (true or false)"),
        };
    }

    /// <summary>A list of integers (a YAML sequence or a comma-separated string).</summary>
    public IReadOnlyList<long> LongList(string key, IReadOnlyList<long> fallback, long min = long.MinValue)
    {
        _asked.Add(key);
        if (!_values.TryGetValue(key, out var raw) || raw is null)
            return fallback;
        _used.Add(key);
        IEnumerable<string> items = raw switch
        {
            IEnumerable<object?> list when raw is not string => list.Select(o => o?.ToString() ?? ""),
            _ => raw.ToString()!.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var result = new List<long>();
        foreach (string item in items)
        {
            if (!long.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
                throw Error(key, $"'{item}' is not an integer");
            if (v < min)
                throw Error(key, $"{v} is below the minimum {min}");
            result.Add(v);
        }
        return result;
    }

    /// <summary>
    /// A nested section. A plain string value is read as <c>{name: value}</c> so that
    /// <c>loss: contrastive</c> and <c>loss: {name: contrastive}</c> mean the same.
    /// </summary>
    public ConfigSection Section(string key, string shorthandKey = "name")
    {
        _asked.Add(key);
        if (!_values.TryGetValue(key, out var raw) || raw is null)
        {
            _used.Add(key);
            return Empty(Source, KeyPath(key));
        }
        _used.Add(key);
        return raw switch
        {
            IDictionary<string, object?> map => new ConfigSection(map, Source, KeyPath(key)),
            IDictionary<object, object?> map => new ConfigSection(map.ToDictionary(p => p.Key.ToString()!, p => p.Value), Source, KeyPath(key)),
            string s => new ConfigSection(new Dictionary<string, object?> { [shorthandKey] = s }, Source, KeyPath(key)),
            _ => throw Error(key, "must be a mapping"),
        };
    }

    /// <summary>
    /// Fails naming the first key that no getter read (a misspelt or unsupported option), with the key it most
    /// likely meant among those the getters asked for.
    /// </summary>
    public void EnsureAllUsed()
    {
        foreach (string key in _values.Keys)
            if (!_used.Contains(key))
                throw Error(key, "unknown key" + KeySuggestion.Hint(key, _asked));
    }

    /// <summary>
    /// Fails naming the first key that is not in <paramref name="known"/>, with the known key it most likely
    /// meant. Run before reading any value, so that a misspelt key is reported before the errors it causes.
    /// </summary>
    public void EnsureKnown(IReadOnlyCollection<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        foreach (string key in _values.Keys)
            if (!known.Contains(key))
                throw Error(key, "unknown key" + KeySuggestion.Hint(key, known));
    }

    private string? Scalar(string key)
    {
        _asked.Add(key);
        if (!_values.TryGetValue(key, out var raw))
            return null;
        _used.Add(key);
        return raw switch
        {
            null => null,
            string s => s,
            IDictionary<string, object?> or IDictionary<object, object?> => throw Error(key, "expected a value, found a mapping"),
            System.Collections.IEnumerable => throw Error(key, "expected a value, found a list"),
            _ => Convert.ToString(raw, CultureInfo.InvariantCulture),
        };
    }

    private static string Bound(long b) => b == long.MinValue ? "-inf" : b == long.MaxValue ? "inf" : b.ToString(CultureInfo.InvariantCulture);
}
