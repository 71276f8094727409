using System.Text.RegularExpressions;
using SkiaSharp;

namespace Xbm.Tests.Reporting;

/// <summary>Checks on a written report page: every image reference resolves to a decodable PNG.</summary>
internal static partial class ReportAssertions
{
    [GeneratedRegex("<img src=\"([^\"]+)\"")]
    private static partial Regex ImageSource();

    /// <summary>The src attribute of every img element of the page.</summary>
    public static List<string> ImageSources(string html) => ImageSource().Matches(html).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    /// <summary>Decodes a PNG and checks it has pixels; returns its size.</summary>
    public static (int Width, int Height) DecodePng(byte[] bytes, string what)
    {
        Assert.True(bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', $"{what} is not a PNG");
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width > 0 && bitmap.Height > 0, $"{what} has no pixels");
        return (bitmap.Width, bitmap.Height);
    }

    /// <summary>Every image of the page at <paramref name="htmlPath"/> resolves (relative file or data: URI) to a valid PNG; returns how many.</summary>
    public static int AllImagesResolve(string htmlPath)
    {
        string html = File.ReadAllText(htmlPath);
        var sources = ImageSources(html);
        Assert.NotEmpty(sources);
        foreach (string source in sources)
        {
            const string prefix = "data:image/png;base64,";
            if (source.StartsWith(prefix, StringComparison.Ordinal))
            {
                DecodePng(Convert.FromBase64String(source[prefix.Length..]), "an inlined image");
                continue;
            }
            Assert.False(Path.IsPathRooted(source), $"{source}: image references must be relative so the report can be moved");
            string file = Path.Combine(Path.GetDirectoryName(htmlPath)!, source);
            Assert.True(File.Exists(file), $"{htmlPath} references {source}, which does not exist");
            DecodePng(File.ReadAllBytes(file), file);
        }
        Assert.Contains($"data-expected-images=\"{sources.Count}\"", html);
        return sources.Count;
    }
}
