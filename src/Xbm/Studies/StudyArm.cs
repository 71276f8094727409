namespace Xbm.Studies;

/// <summary>One arm of a study: a name and the config overrides ("key=value", as with --set) that make it.</summary>
/// <param name="Name">The arm's name in tables and plots, e.g. "XBN" or "M=5000".</param>
/// <param name="Overrides">Applied after the study's common overrides, so an arm can replace a whole section (e.g. "memory=none").</param>
public sealed record StudyArm(string Name, IReadOnlyList<string> Overrides)
{
    /// <summary>
    /// Parses "NAME: key=value; key=value" (the overrides are separated by semicolons, so values may hold
    /// commas, e.g. lists). "NAME" alone is an arm with no overrides; a text without a colon that holds a
    /// "key=value" is an error (the overrides would otherwise be silently ignored).
    /// </summary>
    public static StudyArm Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        if (colon < 0 && text.Contains('=', StringComparison.Ordinal))
            throw new ArgumentException($"arm '{text.Trim()}': no colon after the name, so its overrides would be ignored; expected the form \"NAME: key=value; ...\"");
        string name = (colon < 0 ? text : text[..colon]).Trim();
        if (name.Length == 0)
            throw new ArgumentException($"arm '{text}': the name is empty (expected \"NAME: key=value; key=value\")");
        var overrides = colon < 0
            ? Array.Empty<string>()
            : text[(colon + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string o in overrides)
            if (o.IndexOf('=') <= 0)
                throw new ArgumentException($"arm '{name}': '{o}' is not key=value");
        return new StudyArm(name, overrides);
    }

    /// <summary>A folder-safe form of the name: letters and digits kept, anything else becomes '-'.</summary>
    public string Slug
    {
        get
        {
            var chars = Name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : c == '*' ? 's' : '-').ToArray();
            string slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
            return slug.Length == 0 ? "arm" : slug;
        }
    }
}
