using System.Globalization;
using System.Text.Json;
using TorchSharp.Modules;
using Xbm.IO;
using Xbm.Memory;
using Xbm.Models;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>The trainer's own state in a checkpoint (besides model, optimizer and memory).</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="SamplerState">The sampler's saved state.</param>
/// <param name="MemoryStarted">Whether the memory had started (relevant for the adaptive start).</param>
/// <param name="SkippedSteps">Steps skipped because of non-finite values so far.</param>
public sealed record CheckpointInfo(long Iteration, long Seed, string SamplerState, bool MemoryStarted, long SkippedSteps)
{
    /// <summary>The clip model's temporal relation's training tuple generator state (null without one); written and restored by <see cref="Checkpoint"/>.</summary>
    public ulong[]? RelationRandomState { get; init; }
}

/// <summary>
/// Checkpoints: a folder per iteration (model and memory as .safetensors, optimizer state, trainer.json),
/// written to a temporary folder and renamed into place, plus a "latest" pointer replaced atomically, so a
/// crash at any point leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    private const string LatestFile = "latest";

    // A run without a temporal relation writes the trainer.json it always wrote.
    private static readonly JsonSerializerOptions IgnoreNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The checkpoints folder of a run.</summary>
    public static string Folder(string runFolder) => Path.Combine(runFolder, "checkpoints");

    /// <summary>Writes a checkpoint and prunes older ones beyond <paramref name="keep"/>; returns its folder.</summary>
    public static string Save(string runFolder, EmbeddingModel model, OptimizerHelper optimizer, IEmbeddingMemory? memory, CheckpointInfo info, int keep)
    {
        string name = $"iter-{info.Iteration:D8}";
        string target = Path.Combine(Folder(runFolder), name);
        // Tensors made while saving (state dicts, memory state) are freed here: a long run's count stays flat.
        using var scope = NewDisposeScope();
        try
        {
            AtomicFile.WriteFolder(target, folder =>
            {
                SaveModel(Path.Combine(folder, "model.safetensors"), model);
                using (OptimizerStateLayout.Contiguous(optimizer))
                    optimizer.save_state_dict(Path.Combine(folder, "optimizer.bin"));
                if (memory is not null)
                    SaveMemory(Path.Combine(folder, "memory.safetensors"), memory);
                File.WriteAllText(Path.Combine(folder, "trainer.json"), JsonSerializer.Serialize(info with { RelationRandomState = model.Clip?.Relation?.RandomState }, IgnoreNulls));
            });
            // The pointer is part of the checkpoint: until it is replaced, "latest" names the previous one, still whole.
            AtomicFile.WriteAllText(Path.Combine(Folder(runFolder), LatestFile), name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{target}: cannot write the checkpoint of iteration {info.Iteration} ({e.Message}); {Kept(runFolder)}", e);
        }
        Prune(runFolder, keep, name);
        return target;
    }

    /// <summary>What a failed write leaves of a run: "the last good checkpoint (iteration N) is intact", or that there is none.</summary>
    public static string Kept(string runFolder) => Latest(runFolder) is { } last
        ? $"the last good checkpoint (iteration {ReadInfo(last).Iteration}) is intact"
        : "no earlier checkpoint exists";

    /// <summary>The newest complete checkpoint folder of a run, or null.</summary>
    public static string? Latest(string runFolder)
    {
        string pointer = Path.Combine(Folder(runFolder), LatestFile);
        if (!File.Exists(pointer))
            return null;
        string folder = Path.Combine(Folder(runFolder), File.ReadAllText(pointer).Trim());
        if (!File.Exists(Path.Combine(folder, "trainer.json")))
            throw new InvalidDataException($"{pointer}: points to {folder}, which is not a complete checkpoint");
        return folder;
    }

    /// <summary>Reads the trainer state of a checkpoint folder.</summary>
    public static CheckpointInfo ReadInfo(string checkpoint)
    {
        string path = Path.Combine(checkpoint, "trainer.json");
        try
        {
            return JsonSerializer.Deserialize<CheckpointInfo>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid trainer state: {e.Message}");
        }
    }

    /// <summary>Loads model, optimizer and memory from a checkpoint folder; returns the trainer state.</summary>
    public static CheckpointInfo Load(string checkpoint, EmbeddingModel model, OptimizerHelper? optimizer, IEmbeddingMemory? memory)
    {
        var info = ReadInfo(checkpoint);
        LoadModel(checkpoint, model);
        if (model.Clip?.Relation is { } relation)
            relation.RandomState = info.RelationRandomState
                ?? throw new InvalidDataException($"{checkpoint}: the model has a temporal relation but trainer.json has no RelationRandomState");
        if (optimizer is not null)
            using (OptimizerStateLayout.Contiguous(optimizer))
                optimizer.load_state_dict(Path.Combine(checkpoint, "optimizer.bin"));
        string memoryPath = Path.Combine(checkpoint, "memory.safetensors");
        if (memory is not null)
        {
            if (!File.Exists(memoryPath))
                throw new InvalidDataException($"{checkpoint}: the run uses a memory but the checkpoint has none (memory.safetensors)");
            using var state = LoadMemoryState(memoryPath);
            memory.LoadState(state);
        }
        return info;
    }

    /// <summary>Loads only the model weights of a checkpoint (for eval, embed, search).</summary>
    public static void LoadModel(string checkpoint, EmbeddingModel model)
    {
        string path = Path.Combine(checkpoint, "model.safetensors");
        var (tensors, _) = SafeTensors.Load(path);
        try
        {
            var own = model.state_dict();
            foreach (var (name, target) in own)
            {
                if (!tensors.TryGetValue(name, out var source))
                    throw new InvalidDataException($"{path}: missing '{name}' (was the checkpoint written by a different model?)");
                if (!source.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"{path}: '{name}' has shape [{string.Join(", ", source.shape)}], the model expects [{string.Join(", ", target.shape)}]");
                using var noGrad = no_grad();
                target.copy_(source);
            }
            var extra = tensors.Keys.Except(own.Keys).ToList();
            if (extra.Count > 0)
                throw new InvalidDataException($"{path}: unexpected tensors for this model: {string.Join(", ", extra.Take(5))}");
        }
        finally
        {
            foreach (var t in tensors.Values)
                t.Dispose();
        }
    }

    /// <summary>The SHA-256 (lower-case hex) of a checkpoint's model weights file, which identifies the model it embeds with.</summary>
    public static string WeightsHash(string checkpoint)
    {
        string path = Path.Combine(checkpoint, "model.safetensors");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{checkpoint}: no model.safetensors", path);
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <summary>Writes a model's state dict (parameters and buffers) to .safetensors.</summary>
    public static void SaveModel(string path, EmbeddingModel model) => SafeTensors.Save(path, model.state_dict());

    /// <summary>Writes a memory's state: tensors as tensors, scalars and kind as metadata.</summary>
    public static void SaveMemory(string path, IEmbeddingMemory memory)
    {
        using var state = memory.GetState();
        var metadata = new Dictionary<string, string> { ["kind"] = state.Kind };
        foreach (var (k, v) in state.Scalars)
            metadata["scalar." + k] = v.ToString("R", CultureInfo.InvariantCulture);
        SafeTensors.Save(path, state.Tensors, metadata);
    }

    /// <summary>Reads a memory state written by <see cref="SaveMemory"/>.</summary>
    public static MemoryState LoadMemoryState(string path)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        var state = new MemoryState { Kind = metadata.TryGetValue("kind", out var kind) ? kind : throw new InvalidDataException($"{path}: no memory kind in the metadata") };
        foreach (var (k, v) in tensors)
            state.Tensors[k] = v;
        foreach (var (k, v) in metadata.Where(p => p.Key.StartsWith("scalar.", StringComparison.Ordinal)))
            state.Scalars[k["scalar.".Length..]] = double.Parse(v, CultureInfo.InvariantCulture);
        return state;
    }

    private static void Prune(string runFolder, int keep, string newest)
    {
        var all = Directory.GetDirectories(Folder(runFolder), "iter-*")
            .Select(Path.GetFileName).OfType<string>()
            .Where(n => n.Length == "iter-".Length + 8)
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (string old in all.Take(Math.Max(0, all.Count - keep)))
            if (old != newest)
                AtomicFile.DeleteFolder(Path.Combine(Folder(runFolder), old));
        AtomicFile.RemoveLeftovers(Folder(runFolder));
    }
}
