using Xbm.Data.Manifest;

namespace Xbm.Data.Images;

/// <summary>
/// Image files to embed, from a folder (searched recursively) or a text file of paths. In a folder, an image's
/// class is the name of the first-level subfolder it lies under (<c>DIR/&lt;class&gt;/**/x.jpg</c>; below split
/// folders when every subfolder is one, as in <c>DIR/test/&lt;class&gt;/x.jpg</c>), labelled by its position in the
/// ordinal order of those names; images outside a class folder, and every listed image, have label -1 (unknown). A list holds one path per line, relative to the list file unless absolute; blank lines and
/// lines starting with # are skipped; a missing or non-image file is an error naming the list and the line.
/// </summary>
public sealed class ImageInputs
{
    private ImageInputs(IReadOnlyList<ImageInput> items, IReadOnlyList<string> classNames)
    {
        Items = items;
        ClassNames = classNames;
    }

    /// <summary>The images, in folder order (ordinal by path) or list order.</summary>
    public IReadOnlyList<ImageInput> Items { get; }

    /// <summary>The class folder names, by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Reads a folder (recursively) or a list file.</summary>
    public static ImageInputs Read(string folderOrList)
    {
        ArgumentNullException.ThrowIfNull(folderOrList);
        if (Directory.Exists(folderOrList))
            return FromFolder(Path.GetFullPath(folderOrList));
        if (File.Exists(folderOrList))
            return FromList(Path.GetFullPath(folderOrList));
        throw new FileNotFoundException($"--images {folderOrList}: neither a folder nor a list file", folderOrList);
    }

    private static ImageInputs FromFolder(string root)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => FolderReader.ImageExtensions.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            throw new InvalidDataException($"{root}: no images found (looked for {string.Join(", ", FolderReader.ImageExtensions.Order(StringComparer.Ordinal))}, recursively)");
        // A folder dataset with split folders (train/, test/, ...): the class folders are one level further down.
        var top = Directory.GetDirectories(root);
        bool splitMode = top.Length > 0 && top.All(d => DatasetSplitNames.Parse(Path.GetFileName(d)) is not null);
        string? ClassOf(string file)
        {
            var parts = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            int level = splitMode ? 1 : 0;
            return parts.Length > level + 1 ? parts[level] : null;
        }
        var classNames = files.Select(ClassOf).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        var labelOf = classNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        var items = files.Select(f => new ImageInput(f, ClassOf(f) is { } c ? labelOf[c] : -1, f)).ToList();
        return new ImageInputs(items, classNames);
    }

    /// <summary>
    /// Reads a list file: one image path per line (relative to the list's folder); blank lines and lines starting
    /// with # are skipped. A missing image, a folder or a non-image names the list's file and line.
    /// </summary>
    public static ImageInputs FromList(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        list = Path.GetFullPath(list);
        string folder = Path.GetDirectoryName(list)!;
        var items = new List<ImageInput>();
        int line = 0;
        foreach (string raw in File.ReadLines(list))
        {
            line++;
            string text = raw.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
                continue;
            string where = $"{list}:{line}";
            string path = Path.GetFullPath(Path.IsPathRooted(text) ? text : Path.Combine(folder, text));
            if (Directory.Exists(path))
                throw new InvalidDataException($"{where}: {text} is a folder; list image files, one per line (or pass the folder itself to --images)");
            if (!File.Exists(path))
                throw new FileNotFoundException($"{where}: image not found: {path}", path);
            if (!FolderReader.ImageExtensions.Contains(Path.GetExtension(path)))
                throw new InvalidDataException($"{where}: {text} is not an image file (expected {string.Join(", ", FolderReader.ImageExtensions.Order(StringComparer.Ordinal))})");
            items.Add(new ImageInput(path, -1, where));
        }
        if (items.Count == 0)
            throw new InvalidDataException($"{list}: lists no image");
        return new ImageInputs(items, []);
    }
}
