using System.Collections.Concurrent;
using Xbm.Data.Images;

namespace Xbm.Data.Manifest;

/// <summary>Options of <see cref="ManifestValidator.Validate"/>.</summary>
public sealed record ManifestValidationOptions
{
    /// <summary>Check that every image file exists (default true).</summary>
    public bool CheckFiles { get; init; } = true;

    /// <summary>
    /// Read every image's header (format and size, plus the end marker of PNG and JPEG files) to find unreadable
    /// ones without decoding pixels (default true; see <see cref="ImageHeader"/>).
    /// </summary>
    public bool CheckHeaders { get; init; } = true;

    /// <summary>Decode every image to find unreadable ones (slow on a full dataset; default false).</summary>
    public bool DecodeImages { get; init; }

    /// <summary>Receives (files checked, total) now and then during the file checks, from worker threads; null = silent.</summary>
    public Action<long, long>? Progress { get; init; }

    /// <summary>Threads for the file checks (default: the processor count).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Checks a manifest: labels in range, no duplicate path within a part, no empty part, missing (and
/// optionally unreadable) image files, and warns when training classes also appear in a test part (the
/// benchmarks are zero-shot). Every entry problem names the list file and line.
/// </summary>
public static class ManifestValidator
{
    /// <summary>Validates <paramref name="manifest"/>.</summary>
    public static ManifestReport Validate(DatasetManifest manifest, ManifestValidationOptions? options = null)
    {
        options ??= new ManifestValidationOptions();
        var problems = new List<(int Order, ManifestProblem Problem)>();
        var entries = manifest.Entries;

        // Labels.
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Label < 0)
                problems.Add((i, new(ProblemSeverity.Error, "label-range", e.Source, $"label {e.Label} is negative")));
            else if (manifest.LabelRange is var (min, max) && (e.Label < min || e.Label > max))
                problems.Add((i, new(ProblemSeverity.Error, "label-range", e.Source, $"label {e.Label} is out of range [{min}, {max}]")));
        }

        // Duplicate paths within a part.
        var seen = new Dictionary<(DatasetSplit, string?, string), ManifestEntry>();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (!seen.TryAdd((e.Split, e.Subset, e.Path), e))
                problems.Add((i, new(ProblemSeverity.Error, "duplicate-path", e.Source,
                    $"{e.Path} is listed twice in {new ManifestPart(e.Split, e.Subset).Name} (first at {seen[(e.Split, e.Subset, e.Path)].Source})")));
        }

        // Parts: counts, emptiness, class overlap.
        var byPart = entries.GroupBy(e => new ManifestPart(e.Split, e.Subset)).ToDictionary(g => g.Key, g => g.ToList());
        var counts = new List<PartCount>();
        foreach (var part in manifest.Parts.Concat(byPart.Keys.Where(k => !manifest.Parts.Contains(k)).OrderBy(k => k.Split).ThenBy(k => k.Subset, StringComparer.Ordinal)))
        {
            var list = byPart.GetValueOrDefault(part) ?? [];
            counts.Add(new PartCount(part, list.Count, list.Select(e => e.Label).Distinct().Count()));
            if (list.Count == 0)
                problems.Add((int.MaxValue, new(ProblemSeverity.Error, "empty-part", null, $"dataset '{manifest.Name}': the {part.Name} part is empty")));
        }
        var trainLabels = entries.Where(e => e.Split == DatasetSplit.Train).Select(e => e.Label).ToHashSet();
        foreach (var (part, list) in byPart.Where(p => p.Key.Split != DatasetSplit.Train).OrderBy(p => p.Key.Name, StringComparer.Ordinal))
        {
            int shared = list.Select(e => e.Label).Distinct().Count(trainLabels.Contains);
            if (shared > 0)
                problems.Add((int.MaxValue, new(ProblemSeverity.Warning, "class-overlap", null,
                    $"dataset '{manifest.Name}': {shared} class(es) of the {part.Name} part also appear in train (the protocol is meant to be zero-shot)")));
        }
        foreach (var protocol in manifest.Protocols.Where(p => p.Gallery is not null))
        {
            var galleryLabels = (byPart.GetValueOrDefault(protocol.Gallery!) ?? []).Select(e => e.Label).ToHashSet();
            int lone = (byPart.GetValueOrDefault(protocol.Queries) ?? []).Count(e => !galleryLabels.Contains(e.Label));
            if (lone > 0 && galleryLabels.Count > 0)
                problems.Add((int.MaxValue, new(ProblemSeverity.Warning, "query-without-match", null,
                    $"dataset '{manifest.Name}': {lone} {protocol.Queries.Name} image(s) have no image of their class in {protocol.Gallery!.Name}")));
        }

        // Files.
        if (options.CheckFiles || options.DecodeImages)
        {
            var fileProblems = new ConcurrentBag<(int, ManifestProblem)>();
            var distinct = new Dictionary<string, int>(StringComparer.Ordinal); // a file listed in several parts is checked once
            for (int i = 0; i < entries.Count; i++)
                distinct.TryAdd(entries[i].Path, i);
            long done = 0;
            Parallel.ForEach(distinct.Values, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Workers) }, i =>
            {
                var e = entries[i];
                long checkedCount = Interlocked.Increment(ref done);
                if (checkedCount % 256 == 0 || checkedCount == distinct.Count)
                    options.Progress?.Invoke(checkedCount, distinct.Count);
                if (!File.Exists(e.Path))
                    fileProblems.Add((i, new(ProblemSeverity.Error, "missing-file", e.Source, $"image not found: {e.Path}")));
                else if (!options.DecodeImages && options.CheckHeaders)
                {
                    if (ImageHeader.Problem(e.Path) is { } problem)
                        fileProblems.Add((i, new(ProblemSeverity.Error, "unreadable-image", e.Source, e.Source.File == e.Path ? problem : $"{e.Path}: {problem}")));
                }
                else if (options.DecodeImages)
                {
                    try
                    {
                        ImageDecoder.Decode(e.Path);
                    }
                    catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
                    {
                        fileProblems.Add((i, new(ProblemSeverity.Error, "unreadable-image", e.Source, ex.Message)));
                    }
                }
            });
            problems.AddRange(fileProblems);
        }

        var ordered = problems.OrderBy(p => p.Order).ThenBy(p => p.Problem.Kind, StringComparer.Ordinal).Select(p => p.Problem).ToList();
        return new ManifestReport(manifest, counts, ordered);
    }
}
