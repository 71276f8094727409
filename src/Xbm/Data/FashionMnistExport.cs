using Xbm.Data.Images;
using Xbm.IO;

namespace Xbm.Data;

/// <summary>
/// Writes Fashion-MNIST images out as PNG files in a folder per class (<c>OUT/&lt;class name&gt;/NNNNN.png</c>,
/// NNNNN the image's position in the pooled files, training file first), the layout the folder dataset reads,
/// so the image-file path of the tool can be tried on real files. Class names are made folder-safe
/// ("T-shirt/top" becomes "T-shirt_top"). The folder is filled under a temporary name and renamed into place.
/// </summary>
public static class FashionMnistExport
{
    /// <summary>The splits that can be exported: every class, or the zero-shot split's training (0–4) or test (5–9) classes.</summary>
    public static IReadOnlyList<string> Splits { get; } = ["all", "train", "test"];

    /// <summary>The folder name of a class: its name with characters that cannot be in a folder name replaced by '_'.</summary>
    public static string FolderName(long label) => FashionMnist.ClassNames[(int)label].Replace('/', '_').Replace('\\', '_');

    /// <summary>
    /// Exports the images of <paramref name="split"/> from <paramref name="root"/> into <paramref name="output"/>,
    /// which must not exist or be empty; at most <paramref name="maxPerClass"/> per class (the first in file order)
    /// when given. Returns the number of images written per class folder.
    /// </summary>
    public static IReadOnlyDictionary<string, int> Export(string root, string output, string split = "all", int? maxPerClass = null)
    {
        if (!Splits.Contains(split))
            throw new ArgumentException($"--split {split}: expected one of {string.Join(", ", Splits)}");
        if (maxPerClass is < 1)
            throw new ArgumentException($"--max-per-class must be at least 1, got {maxPerClass}");
        string full = Path.GetFullPath(output);
        if (File.Exists(full) || (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()))
            throw new IOException($"{full}: already exists and is not empty; export into a new folder");
        var defaults = new FashionMnistOptions();
        var classes = split switch
        {
            "train" => defaults.TrainClasses,
            "test" => defaults.TestClasses,
            _ => defaults.TrainClasses.Concat(defaults.TestClasses).Order().ToList(),
        };
        var data = FashionMnist.Read(root);
        var written = classes.ToDictionary(FolderName, _ => 0, StringComparer.Ordinal);
        const int plane = FashionMnist.Side * FashionMnist.Side;
        if (Directory.Exists(full))
            Directory.Delete(full); // empty: replaced by the filled folder in one rename
        AtomicFile.WriteFolder(full, folder =>
        {
            foreach (long label in classes)
                Directory.CreateDirectory(Path.Combine(folder, FolderName(label)));
            var wanted = classes.ToHashSet();
            for (int i = 0; i < data.Count; i++)
            {
                long label = data.Labels[i];
                string name = FolderName(label);
                if (!wanted.Contains(label) || (maxPerClass is int max && written[name] >= max))
                    continue;
                var pixels = new byte[plane * 3];
                for (int p = 0; p < plane; p++)
                    pixels.AsSpan(3 * p, 3).Fill(data.Images[i * plane + p]);
                File.WriteAllBytes(Path.Combine(folder, name, $"{i:D5}.png"), ImageDecoder.EncodePng(new RgbImage(FashionMnist.Side, FashionMnist.Side, pixels)));
                written[name]++;
            }
        });
        return written;
    }
}
