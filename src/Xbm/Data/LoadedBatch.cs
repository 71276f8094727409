using static TorchSharp.torch;

namespace Xbm.Data;

/// <summary>
/// One training batch ready for the model: its iteration, dataset positions, the decoded and augmented pixels
/// (kept as a managed array so that no tensor crosses threads) and the sampler's state right after the batch
/// was drawn (what a checkpoint written after this iteration must store).
/// </summary>
/// <param name="Iteration">The training iteration (1-based) the batch belongs to.</param>
/// <param name="Positions">Dataset positions of the batch's images.</param>
/// <param name="Pixels">The images, row-major in <paramref name="Shape"/>.</param>
/// <param name="Shape">N × C × H × W.</param>
/// <param name="SamplerState">The sampler's saved state after drawing this batch.</param>
/// <param name="First">
/// The batch entry of the first image in <paramref name="Pixels"/>: 0 for the whole batch, a data-parallel rank's
/// offset when only its slice was loaded (docs/design.md §10).
/// </param>
public sealed record LoadedBatch(long Iteration, IReadOnlyList<int> Positions, float[] Pixels, long[] Shape, string SamplerState, int First = 0)
{
    /// <summary>The number of images in <see cref="Pixels"/>.</summary>
    public int Count => (int)Shape[0];

    /// <summary>The images as a tensor on <paramref name="device"/> (made in the caller's dispose scope).</summary>
    public Tensor Images(Device device) => tensor(Pixels, Shape).to(device);
}
