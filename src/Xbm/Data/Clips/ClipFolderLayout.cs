using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>Reads the class-folder layout of <see cref="ClipSet"/>: <c>root/[split/]&lt;class&gt;/&lt;clip folder or video&gt;</c>.</summary>
internal static class ClipFolderLayout
{
    public const string Layout = "<root>/<class>/<clip>/<frames> or <root>/<class>/<video>.mp4, optionally under <root>/{train,test,validation,query,gallery}/";

    public static ClipSet Read(string root, ClipSetOptions options)
    {
        var (classFolders, _) = ClassFolders.Find(root);
        var found = new List<(DatasetSplit? Split, string Class, string Path, bool Video)>();
        var emptyClasses = new List<string>();
        var otherFiles = new List<string>();
        foreach (var (split, classDir) in classFolders)
        {
            int before = found.Count;
            string name = Path.GetFileName(classDir);
            foreach (string clip in Directory.GetDirectories(classDir).OrderBy(Path.GetFileName, NaturalFileNameComparer.Instance))
                found.Add((split, name, clip, false));
            foreach (string file in Directory.GetFiles(classDir).OrderBy(Path.GetFileName, NaturalFileNameComparer.Instance))
            {
                if (ClipSetOptions.VideoExtensions.Contains(Path.GetExtension(file)))
                    found.Add((split, name, file, true));
                else if (!Path.GetFileName(file).StartsWith('.'))
                    otherFiles.Add(file);
            }
            if (found.Count == before)
                emptyClasses.Add(classDir);
        }
        if (found.Count == 0)
            throw new InvalidDataException($"{root}: no clips found (expected {Layout})");
        var warnings = new List<string>();
        if (emptyClasses.Count > 0)
            warnings.Add($"clips: {emptyClasses.Count} class folder(s) without clips skipped, e.g. {emptyClasses[0]}");
        if (otherFiles.Count > 0)
            warnings.Add($"clips: {otherFiles.Count} file(s) in class folders that are neither clip folders nor video files ({string.Join(", ", ClipSetOptions.VideoExtensions.Order(StringComparer.Ordinal))}) skipped, e.g. {otherFiles[0]}");

        var classNames = found.Select(f => f.Class).Distinct().Order(StringComparer.Ordinal).ToList();
        var labelOf = classNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        var cache = found.Any(f => f.Video) ? new VideoFrameCache(options) : null;
        var clips = found.Select(f => ClipReading.Entry(f.Path, f.Video, labelOf[f.Class], f.Split, new SourceLocation(f.Path, 0), cache)).ToList();
        return new ClipSet(root, clips, labelOf.ToDictionary(p => p.Value, p => p.Key), warnings);
    }
}
