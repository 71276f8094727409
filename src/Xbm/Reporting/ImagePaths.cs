using Xbm.Data;
using Xbm.Data.Images;

namespace Xbm.Reporting;

/// <summary>
/// Names the images of a set for paths files, search output and reports: the image file for file-backed sets,
/// "DATASET:POSITION" for in-memory sets (e.g. "fashion_mnist:12", the 12th image of the embedded split).
/// </summary>
public static class ImagePaths
{
    /// <summary>The name of the image at <paramref name="position"/> of <paramref name="set"/>.</summary>
    public static string Of(IImageSet set, int position, string dataset) =>
        set is FileImageSet files ? files.Entries[position].Path : $"{dataset}:{position}";

    /// <summary>The names of every image of <paramref name="set"/>, by position.</summary>
    public static IReadOnlyList<string> All(IImageSet set, string dataset) =>
        Enumerable.Range(0, set.Count).Select(i => Of(set, i, dataset)).ToList();
}
