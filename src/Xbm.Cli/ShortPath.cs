namespace Xbm.Cli;

/// <summary>
/// Shortens a path to a width by leaving out whole folders in the middle ("/work/…/xbm-seed0/checkpoints/iter-00003000"):
/// the first folder and as many trailing components as fit stay whole, so the run and file names stay readable.
/// </summary>
public static class ShortPath
{
    /// <summary>The ellipsis put where folders are left out.</summary>
    public const string Ellipsis = "…";

    /// <summary><paramref name="path"/> itself when it fits in <paramref name="width"/> characters, else a shortened form that does.</summary>
    public static string Fit(string path, int width)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length <= width)
            return path;
        char separator = path.Contains('/') ? '/' : Path.DirectorySeparatorChar;
        var parts = path.Split(separator);
        // Head: "/work" for an absolute path, "runs" for a relative one.
        int headCount = parts.Length > 2 && parts[0].Length == 0 ? 2 : 1;
        string head = string.Join(separator, parts.Take(headCount));
        string tail = "";
        for (int i = parts.Length - 1; i >= headCount; i--)
        {
            string candidate = tail.Length == 0 ? parts[i] : parts[i] + separator + tail;
            if (head.Length + 2 + Ellipsis.Length + candidate.Length > width && tail.Length > 0)
                break;
            tail = candidate;
        }
        string shortened = $"{head}{separator}{Ellipsis}{separator}{tail}";
        if (shortened.Length <= width)
            return shortened;
        // Even the last component alone is too long: keep its end.
        string last = parts[^1];
        return Ellipsis + last[Math.Max(0, last.Length - (width - Ellipsis.Length))..];
    }
}
