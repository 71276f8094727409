using Xbm.Data.Images;
using Xbm.IO;

namespace Xbm.Reporting;

/// <summary>
/// Draws retrieval examples as one image: a row per query, the query first (blue frame), then its retrieved items
/// best first, framed green when correct (same label) and red when not.
/// </summary>
public static class RetrievalGrid
{
    /// <summary>Frame colour of the query.</summary>
    public static readonly (byte R, byte G, byte B) QueryColour = (40, 90, 220);

    /// <summary>Frame colour of a correct item.</summary>
    public static readonly (byte R, byte G, byte B) CorrectColour = (20, 170, 60);

    /// <summary>Frame colour of a wrong item.</summary>
    public static readonly (byte R, byte G, byte B) WrongColour = (220, 40, 40);

    private const int Frame = 4, Gap = 4, QueryGap = 16, Margin = 8;

    /// <summary>Thumbnail size plus frame: the side of one cell.</summary>
    public static int CellSide(int thumbnail) => thumbnail + 2 * Frame;

    /// <summary>
    /// Renders the grid. <paramref name="queryThumbnail"/> and <paramref name="itemThumbnail"/> give the
    /// <paramref name="thumbnail"/>-sized image of a query position and of a retrieved item's index.
    /// </summary>
    public static RgbImage Render(IReadOnlyList<RetrievalExample> examples, Func<int, RgbImage> queryThumbnail, Func<int, RgbImage> itemThumbnail, int thumbnail = 96)
    {
        if (examples.Count == 0)
            throw new ArgumentException("no retrieval examples to draw", nameof(examples));
        int cell = CellSide(thumbnail);
        int columns = examples.Max(e => e.Neighbours.Count);
        int width = 2 * Margin + cell + QueryGap + columns * cell + Math.Max(0, columns - 1) * Gap;
        int height = 2 * Margin + examples.Count * cell + (examples.Count - 1) * Gap;
        var canvas = new RgbImage(width, height);
        Array.Fill(canvas.Pixels, (byte)255);
        for (int row = 0; row < examples.Count; row++)
        {
            int top = Margin + row * (cell + Gap);
            var example = examples[row];
            Draw(canvas, queryThumbnail(example.Query), Margin, top, QueryColour);
            for (int j = 0; j < example.Neighbours.Count; j++)
            {
                var item = example.Neighbours[j];
                Draw(canvas, itemThumbnail(item.Index), Margin + cell + QueryGap + j * (cell + Gap), top, item.Correct ? CorrectColour : WrongColour);
            }
        }
        return canvas;
    }

    /// <summary>Renders the grid and writes it as PNG atomically.</summary>
    public static void Save(string path, IReadOnlyList<RetrievalExample> examples, Func<int, RgbImage> queryThumbnail, Func<int, RgbImage> itemThumbnail, int thumbnail = 96) =>
        AtomicFile.WriteAllBytes(path, ImageDecoder.EncodePng(Render(examples, queryThumbnail, itemThumbnail, thumbnail)));

    private static void Draw(RgbImage canvas, RgbImage image, int left, int top, (byte R, byte G, byte B) frame)
    {
        int side = image.Width + 2 * Frame;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                int at = ((top + y) * canvas.Width + left + x) * 3;
                int ix = x - Frame, iy = y - Frame;
                if (ix >= 0 && iy >= 0 && ix < image.Width && iy < image.Height)
                {
                    int from = (iy * image.Width + ix) * 3;
                    canvas.Pixels[at] = image.Pixels[from];
                    canvas.Pixels[at + 1] = image.Pixels[from + 1];
                    canvas.Pixels[at + 2] = image.Pixels[from + 2];
                }
                else
                {
                    canvas.Pixels[at] = frame.R;
                    canvas.Pixels[at + 1] = frame.G;
                    canvas.Pixels[at + 2] = frame.B;
                }
            }
    }
}
