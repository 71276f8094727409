namespace Xbm.Data.Manifest;

/// <summary>Image and class counts of one manifest part.</summary>
/// <param name="Part">The part.</param>
/// <param name="Images">Number of images.</param>
/// <param name="Classes">Number of distinct labels.</param>
public sealed record PartCount(ManifestPart Part, int Images, int Classes);

/// <summary>The outcome of <see cref="ManifestValidator.Validate"/>: counts per part and the problems found.</summary>
/// <param name="Manifest">The manifest checked.</param>
/// <param name="Counts">Counts per part (the manifest's parts first, then any other part present).</param>
/// <param name="Problems">Problems, errors and warnings, in entry order.</param>
public sealed record ManifestReport(DatasetManifest Manifest, IReadOnlyList<PartCount> Counts, IReadOnlyList<ManifestProblem> Problems)
{
    /// <summary>The errors.</summary>
    public IEnumerable<ManifestProblem> Errors => Problems.Where(p => p.Severity == ProblemSeverity.Error);

    /// <summary>The warnings.</summary>
    public IEnumerable<ManifestProblem> Warnings => Problems.Where(p => p.Severity == ProblemSeverity.Warning);

    /// <summary>True when any error was found.</summary>
    public bool HasErrors => Errors.Any();

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> listing the first errors (file and line each) when there
    /// are errors of a kind not in <paramref name="tolerated"/>.
    /// </summary>
    public void ThrowIfErrors(params string[] tolerated)
    {
        var errors = Errors.Where(p => !tolerated.Contains(p.Kind)).ToList();
        if (errors.Count == 0)
            return;
        const int shown = 20;
        string more = errors.Count > shown ? $"\n... and {errors.Count - shown} more" : "";
        throw new InvalidDataException(
            $"dataset '{Manifest.Name}' at {Manifest.Root}: {errors.Count} error(s):\n{string.Join("\n", errors.Take(shown))}{more}");
    }
}
