namespace Xbm.Data.Manifest;

/// <summary>How serious a manifest problem is.</summary>
public enum ProblemSeverity
{
    /// <summary>Worth knowing; the dataset is usable.</summary>
    Warning,
    /// <summary>The dataset cannot be used as it is.</summary>
    Error,
}

/// <summary>Something wrong with a manifest, located at a file and line when it concerns one entry.</summary>
/// <param name="Severity">Warning or error.</param>
/// <param name="Kind">A short machine-readable kind ("missing-file", "unreadable-image", "duplicate-path", "label-range", "empty-part", "class-overlap", ...).</param>
/// <param name="Location">The file and line, or null for problems of the whole manifest.</param>
/// <param name="Message">What is wrong.</param>
public sealed record ManifestProblem(ProblemSeverity Severity, string Kind, SourceLocation? Location, string Message)
{
    /// <summary>"file:line: message" (or just the message).</summary>
    public override string ToString() => Location is null ? Message : $"{Location}: {Message}";
}
