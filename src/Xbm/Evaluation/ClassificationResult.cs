using System.Globalization;
using System.Text;

namespace Xbm.Evaluation;

/// <summary>
/// A classifier's predictions summarised: the confusion matrix (rows the true class, columns the predicted one,
/// in class-index order), with the accuracy, the accuracy of each class and their mean.
/// </summary>
public sealed class ClassificationResult
{
    /// <summary>Creates the result of a C × C confusion matrix with class names.</summary>
    public ClassificationResult(long[,] confusion, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(names);
        if (confusion.GetLength(0) != names.Count || confusion.GetLength(1) != names.Count)
            throw new ArgumentException($"a {names.Count}-class confusion matrix must be {names.Count} × {names.Count}", nameof(confusion));
        Confusion = confusion;
        Names = names;
    }

    /// <summary>Counts: [true class, predicted class].</summary>
    public long[,] Confusion { get; }

    /// <summary>Class names by index.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Number of classes.</summary>
    public int Classes => Names.Count;

    /// <summary>Items classified.</summary>
    public long Total => Enumerable.Range(0, Classes).Sum(Support);

    /// <summary>Items of class <paramref name="c"/>.</summary>
    public long Support(int c) => Enumerable.Range(0, Classes).Sum(p => Confusion[c, p]);

    /// <summary>Share of items classified correctly.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Enumerable.Range(0, Classes).Sum(c => Confusion[c, c]) / Total;

    /// <summary>Share of class <paramref name="c"/>'s items classified correctly (NaN when it has none).</summary>
    public double ClassAccuracy(int c) => Support(c) == 0 ? double.NaN : (double)Confusion[c, c] / Support(c);

    /// <summary>The mean of the class accuracies over the classes with items (balanced accuracy).</summary>
    public double MeanClassAccuracy
    {
        get
        {
            var present = Enumerable.Range(0, Classes).Where(c => Support(c) > 0).ToList();
            return present.Count == 0 ? double.NaN : present.Average(ClassAccuracy);
        }
    }

    /// <summary>The metrics logged per evaluation: Accuracy and MeanClassAccuracy.</summary>
    public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>
    {
        ["Accuracy"] = Accuracy,
        ["MeanClassAccuracy"] = MeanClassAccuracy,
    };

    /// <summary>The matrix as CSV: a header "true\predicted" and the class names, then one row per true class.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("true\\predicted");
        foreach (string name in Names)
            text.Append(',').Append(Quote(name));
        text.Append('\n');
        for (int c = 0; c < Classes; c++)
        {
            text.Append(Quote(Names[c]));
            for (int p = 0; p < Classes; p++)
                text.Append(',').Append(Confusion[c, p].ToString(CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Reads a matrix written by <see cref="ToCsv"/>.</summary>
    public static ClassificationResult FromCsv(string text, string source)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 2)
            throw new InvalidDataException($"{source}: not a confusion matrix (fewer than two lines)");
        var names = Fields(lines[0], source).Skip(1).ToList();
        var matrix = new long[names.Count, names.Count];
        if (lines.Length - 1 != names.Count)
            throw new InvalidDataException($"{source}: {names.Count} classes in the header but {lines.Length - 1} rows");
        for (int r = 0; r < names.Count; r++)
        {
            var fields = Fields(lines[r + 1], source);
            if (fields.Count != names.Count + 1)
                throw new InvalidDataException($"{source}: line {r + 2}: expected {names.Count + 1} fields, found {fields.Count}");
            for (int p = 0; p < names.Count; p++)
                matrix[r, p] = long.Parse(fields[p + 1], CultureInfo.InvariantCulture);
        }
        return new ClassificationResult(matrix, names);
    }

    private static string Quote(string name) =>
        name.Contains(',') || name.Contains('"') ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name;

    private static List<string> Fields(string line, string source) =>
        Data.Manifest.LabeledCsv.Split(line.TrimEnd('\r'), message => new InvalidDataException($"{source}: {message}"));
}
