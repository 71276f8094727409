using System.Text.Json;
using Xbm.Data.Images;

namespace Xbm.Tests.Data.Images;

internal static class ImageFixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "Datasets", "images", name);

    public static JsonElement Expected { get; } = JsonDocument.Parse(File.ReadAllText(Path("expected.json"))).RootElement;

    public static byte[] Bytes(JsonElement hex) => Convert.FromHexString(hex.GetString()!);

    /// <summary>A synthetic image whose pixel (x, y) has R = x, G = y, B = 7x + 3y (mod 256).</summary>
    public static RgbImage Synthetic(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                image.Pixels[i] = (byte)x;
                image.Pixels[i + 1] = (byte)y;
                image.Pixels[i + 2] = (byte)((7 * x + 3 * y) % 256);
            }
        return image;
    }

    public static string TempFolder(string name)
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xbm-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }
}
