namespace Xbm.Data;

/// <summary>
/// The resumable state of a <see cref="PKSampler"/>: the generator's state at the start of the current pass
/// and how many batches of the pass were drawn (replayed on load), plus counters and a fingerprint of the
/// sampler's configuration and labels so a state cannot be loaded into a different sampler.
/// </summary>
/// <param name="PassStartRandom">Generator state (four words) when the current pass started, or the current state before the first pass.</param>
/// <param name="Pass">Number of passes started (0 before the first batch).</param>
/// <param name="BatchesInPass">Batches drawn in the current pass.</param>
/// <param name="BatchesDrawn">Batches drawn in total.</param>
/// <param name="ClassesPerBatch">P of the sampler that saved the state.</param>
/// <param name="ImagesPerClass">K of the sampler that saved the state.</param>
/// <param name="DatasetCount">Number of images of the sampler's dataset.</param>
/// <param name="Fingerprint">Hash of the labels and the small-class policy.</param>
public sealed record SamplerState(
    ulong[] PassStartRandom,
    long Pass,
    long BatchesInPass,
    long BatchesDrawn,
    int ClassesPerBatch,
    int ImagesPerClass,
    int DatasetCount,
    ulong Fingerprint);
