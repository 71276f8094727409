using System.Globalization;

namespace Xbm.Data.Manifest;

/// <summary>One non-blank line of a whitespace-separated list file, with typed field getters whose errors name the file and line.</summary>
internal readonly record struct ListLine(string File, int Number, string Text, string[] Fields)
{
    public SourceLocation Location => new(File, Number);

    public InvalidDataException Error(string message) => new($"{File}:{Number}: {message}");

    /// <summary>Fails unless the line has exactly <paramref name="count"/> fields.</summary>
    public void ExpectFields(int count, string format)
    {
        if (Fields.Length != count)
            throw Error($"expected {count} fields ({format}), found {Fields.Length}: '{Text.Trim()}'");
    }

    public long Long(int field, string what)
    {
        if (!long.TryParse(Fields[field], NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
            throw Error($"{what} '{Fields[field]}' is not an integer");
        return value;
    }

    public double Double(int field, string what)
    {
        if (!double.TryParse(Fields[field], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw Error($"{what} '{Fields[field]}' is not a number");
        return value;
    }
}

/// <summary>Reads the whitespace-separated list files of the benchmark layouts.</summary>
internal static class ListFile
{
    /// <summary>The non-blank lines of <paramref name="path"/> split on whitespace, with 1-based line numbers.</summary>
    public static IEnumerable<ListLine> Read(string path)
    {
        int number = 0;
        foreach (string text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            yield return new ListLine(path, number, text, text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }
    }

    /// <summary>Fails with a <see cref="FileNotFoundException"/> naming the dataset and the file when it is missing.</summary>
    public static string Require(string path, string dataset)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{dataset}: required file not found: {path}", path);
        return path;
    }

    /// <summary>
    /// The dataset folder: <paramref name="root"/> itself when it holds <paramref name="marker"/>, else the
    /// conventional sub-folder <paramref name="folderName"/> when that holds it; fails naming both places.
    /// </summary>
    public static string ResolveRoot(string root, string marker, string folderName, string dataset)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{dataset}: root folder not found: {root}");
        string full = Path.GetFullPath(root);
        if (File.Exists(Path.Combine(full, marker)))
            return full;
        string nested = Path.Combine(full, folderName);
        if (File.Exists(Path.Combine(nested, marker)))
            return nested;
        throw new FileNotFoundException($"{dataset}: {marker} not found in {full} (nor in {nested}); is this the dataset's root folder?", Path.Combine(full, marker));
    }

    /// <summary>Joins a list file's relative path (with '/' separators) to a root folder.</summary>
    public static string Combine(string root, string relative) =>
        Path.GetFullPath(Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar).Replace('\\', Path.DirectorySeparatorChar)));

    /// <summary>
    /// The zero-shot class split of the benchmarks: the first half of the sorted class ids train, the second
    /// half test (CUB 1–100 / 101–200, Cars196 1–98 / 99–196). With an odd count the extra class trains.
    /// </summary>
    public static HashSet<long> FirstHalf(IEnumerable<long> classIds)
    {
        var sorted = classIds.Distinct().Order().ToList();
        return sorted.Take((sorted.Count + 1) / 2).ToHashSet();
    }
}
