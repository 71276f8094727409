using Xbm.Data.Manifest;

namespace Xbm.Data.Clips;

/// <summary>Reads the CSV layout of <see cref="ClipSet"/>: rows <c>clip_folder,label[,split]</c>, optional header (<see cref="LabeledCsv"/>; "path" names the clip folder too).</summary>
internal static class ClipCsvLayout
{
    public static ClipSet Read(string file, ClipSetOptions options)
    {
        string folder = Path.GetDirectoryName(file)!;
        var rows = LabeledCsv.Read(file, "clip_folder", ["path"], [], "clips");
        var labelOf = LabeledCsv.Labels(rows, out var names);
        VideoFrameCache? cache = null;
        var clips = new List<ClipEntry>(rows.Count);
        foreach (var row in rows)
        {
            DatasetSplit? split = LabeledCsv.SplitOf(row);
            string full = Path.GetFullPath(Path.IsPathRooted(row.Path) ? row.Path : Path.Combine(folder, row.Path));
            bool video = File.Exists(full) && ClipSetOptions.VideoExtensions.Contains(Path.GetExtension(full));
            if (video)
                cache ??= new VideoFrameCache(options);
            clips.Add(ClipReading.Entry(full, video, labelOf(row.Label), split, row.Where, cache));
        }
        return new ClipSet(file, clips, names);
    }
}
