using Xbm.Data.Images;

namespace Xbm.Tests.Data.Images;

/// <summary>Writes small real PNG files for folder datasets and galleries: each class a distinct pattern, each image a variation of it.</summary>
internal static class PngFolders
{
    /// <summary>Writes <c>root/&lt;class&gt;/&lt;class&gt;N.png</c> for every class; returns the paths in ordinal order.</summary>
    public static IReadOnlyList<string> Write(string root, IReadOnlyList<string> classes, int perClass, int side = 24)
    {
        var paths = new List<string>();
        for (int c = 0; c < classes.Count; c++)
        {
            string folder = Directory.CreateDirectory(Path.Combine(root, classes[c])).FullName;
            for (int i = 0; i < perClass; i++)
                paths.Add(WriteOne(Path.Combine(folder, $"{classes[c]}{i}.png"), c, i, side));
        }
        return paths.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Writes one PNG of class pattern <paramref name="pattern"/>, variation <paramref name="variation"/>.</summary>
    public static string WriteOne(string path, int pattern, int variation, int side = 24)
    {
        var image = new RgbImage(side, side);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                int at = (y * side + x) * 3;
                bool stripe = ((pattern % 2 == 0 ? x : y) / (2 + pattern)) % 2 == 0;
                int shade = (variation * 37 + x * 11 + y * 5) % 40;
                image.Pixels[at] = (byte)((stripe ? 60 * pattern + 40 : 20) + shade);
                image.Pixels[at + 1] = (byte)((stripe ? 200 - 50 * pattern : 60) + shade);
                image.Pixels[at + 2] = (byte)(((pattern * 83) % 200) + shade);
            }
        File.WriteAllBytes(path, ImageDecoder.EncodePng(image));
        return path;
    }
}
