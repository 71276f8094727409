using Xbm.Data.Images;

namespace Xbm.Tests.Data.Clips;

/// <summary>Writes clip folders of small solid-colour PNG frames for the clip tests.</summary>
internal static class ClipFolders
{
    /// <summary>The red value of frame <paramref name="index"/> (0-based): 10 · index + 5.</summary>
    public static byte Red(int index) => (byte)(10 * index + 5);

    /// <summary>
    /// Writes <paramref name="frames"/> frames named frame_1.png … frame_N.png (written in a shuffled order) into
    /// <paramref name="folder"/>; frame i (0-based) has red <see cref="Red"/>(i) and green <paramref name="green"/>.
    /// </summary>
    public static string Write(string folder, int frames, byte green = 0, int size = 12, string prefix = "frame_")
    {
        Directory.CreateDirectory(folder);
        foreach (int i in Enumerable.Range(0, frames).OrderBy(i => (i * 7919) % 13))
        {
            var pixels = new byte[size * size * 3];
            for (int p = 0; p < pixels.Length; p += 3)
            {
                pixels[p] = Red(i);
                pixels[p + 1] = green;
            }
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}{i + 1}.png"), ImageDecoder.EncodePng(new RgbImage(size, size, pixels)));
        }
        return folder;
    }

    /// <summary>A transform that keeps the raw byte values (0–255) and crops <paramref name="size"/> pixels without resizing.</summary>
    public static ImageTransformOptions RawTransform(int size = 8) => new()
    {
        ResizeTo = 0, CropSize = size, PixelRange = 255, Mean = [0, 0, 0], Std = [1, 1, 1],
    };
}
