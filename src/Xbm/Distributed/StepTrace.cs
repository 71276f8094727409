using System.Globalization;
using System.Runtime.InteropServices;
using Xbm.Memory;
using static TorchSharp.torch;

namespace Xbm.Distributed;

/// <summary>
/// Per-step diagnostics of one rank, for checking that ranks agree with each other and with one process: a line per
/// step in <c>rankR.tsv</c> (iteration, loss, batch loss, memory loss with round-trip precision, memory hash, the step's
/// wall seconds, and when the collective is a <see cref="MeasuredCollective"/> the bytes this rank sent and the seconds
/// spent in collectives during the step), and the
/// step's gradients and updated parameters as raw little-endian float32 in <c>rankR-T.grad</c> and
/// <c>rankR-T.params</c> (the model's parameters in order).
/// </summary>
public sealed class StepTrace
{
    private readonly string _folder;
    private readonly int _rank;
    private readonly MeasuredCollective? _measured;
    private long _bytes;
    private double _seconds;

    /// <summary>Writes into <paramref name="folder"/> (created) for the rank of <paramref name="collective"/>.</summary>
    public StepTrace(string folder, ICollective collective)
    {
        ArgumentNullException.ThrowIfNull(collective);
        _folder = Directory.CreateDirectory(folder).FullName;
        _rank = collective.Rank;
        _measured = collective as MeasuredCollective;
    }

    /// <summary>The line file of a rank.</summary>
    public static string LinesFile(string folder, int rank) => Path.Combine(folder, $"rank{rank}.tsv");

    /// <summary>The raw float32 file of a rank's step, kind "grad" or "params".</summary>
    public static string ValuesFile(string folder, int rank, long iteration, string kind) => Path.Combine(folder, $"rank{rank}-{iteration}.{kind}");

    /// <summary>Records step <paramref name="iteration"/> after the optimizer step.</summary>
    public void Record(long iteration, double loss, double batchLoss, double memoryLoss, double stepSeconds, IReadOnlyList<Tensor> parameters, IEmbeddingMemory? memory)
    {
        long bytes = _measured is null ? 0 : _measured.Bytes - _bytes;
        double seconds = _measured is null ? 0 : _measured.Seconds - _seconds;
        (_bytes, _seconds) = _measured is null ? (0, 0) : (_measured.Bytes, _measured.Seconds);
        ArgumentNullException.ThrowIfNull(parameters);
        string hash = memory is null || memory.Count == 0 ? "empty" : DataParallel.Hash(memory.Keys, memory.Labels);
        File.AppendAllText(LinesFile(_folder, _rank), string.Join('\t', iteration.ToString(CultureInfo.InvariantCulture),
            loss.ToString("R", CultureInfo.InvariantCulture), batchLoss.ToString("R", CultureInfo.InvariantCulture),
            memoryLoss.ToString("R", CultureInfo.InvariantCulture), hash, stepSeconds.ToString("R", CultureInfo.InvariantCulture),
            bytes.ToString(CultureInfo.InvariantCulture), seconds.ToString("R", CultureInfo.InvariantCulture)) + "\n");
        var gradients = parameters.Select(p => p.grad).OfType<Tensor>().ToArray();
        File.WriteAllBytes(ValuesFile(_folder, _rank, iteration, "grad"), MemoryMarshal.AsBytes(DataParallel.Flatten(gradients).AsSpan()).ToArray());
        File.WriteAllBytes(ValuesFile(_folder, _rank, iteration, "params"), MemoryMarshal.AsBytes(DataParallel.Flatten(parameters).AsSpan()).ToArray());
    }

    /// <summary>Reads a raw float32 file written by <see cref="Record"/>.</summary>
    public static float[] ReadValues(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
}
