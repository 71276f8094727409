using System.Collections.Frozen;

namespace Xbm.Cli.Serve;

/// <summary>
/// The web page of the service: index.html, app.js and style.css, embedded in this assembly (Serve/Page/), served
/// from memory by name. Nothing is read from the file system, and only these three names exist.
/// </summary>
public static class ServePage
{
    private static readonly FrozenDictionary<string, (string ContentType, byte[] Content)> Files = new Dictionary<string, (string, byte[])>
    {
        ["/"] = ("text/html; charset=utf-8", Resource("index.html")),
        ["/app.js"] = ("text/javascript; charset=utf-8", Resource("app.js")),
        ["/style.css"] = ("text/css; charset=utf-8", Resource("style.css")),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The request paths of the page's files.</summary>
    public static IEnumerable<string> Paths => Files.Keys;

    /// <summary>The content type and bytes of the page file at <paramref name="path"/>, or null.</summary>
    public static (string ContentType, byte[] Content)? Find(string path) => Files.TryGetValue(path, out var file) ? file : null;

    private static byte[] Resource(string name)
    {
        using var stream = typeof(ServePage).Assembly.GetManifestResourceStream("Xbm.Cli.Serve.Page." + name)
            ?? throw new InvalidOperationException($"the page resource {name} is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
