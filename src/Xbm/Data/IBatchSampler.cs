namespace Xbm.Data;

/// <summary>Yields the dataset positions of each training batch; its state can be saved for an exact resume.</summary>
public interface IBatchSampler
{
    /// <summary>The positions of the next batch.</summary>
    IReadOnlyList<int> Next();

    /// <summary>The sampler's state as a compact string (stored in checkpoints).</summary>
    string SaveState();

    /// <summary>Restores a state written by <see cref="SaveState"/>; the batches then continue exactly.</summary>
    void LoadState(string state);
}
