using TorchSharp;
using Xbm.Data;
using Xbm.Distributed;
using Xbm.Losses;
using Xbm.Memory;
using Xbm.Models;
using TorchSharp.Modules;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>The data-parallel step of docs/design.md §10.</summary>
public sealed partial class Trainer
{
    /// <summary>
    /// Prepares the loss and the model for the data-parallel step (docs/design.md §10): the loss's reduction divides by
    /// the whole batch's counts, and every BatchNorm layer that trains normalises with the whole batch's statistics.
    /// </summary>
    private void PrepareDataParallel()
    {
        var collective = _distributed.Collective;
        var own = OwnLoss(_loss) ?? throw new ArgumentException($"data-parallel training needs a pair loss of this library (its reduction is taken "
            + $"over the whole batch); the {_loss.Name} loss is of another kind", "loss");
        own.Reducer = new GlobalCountReducer(own.Reducer is GlobalCountReducer global ? global.Inner : own.Reducer, collective);
        foreach (var layer in _model.modules().OfType<Models.BatchNorm2d>())
            layer.Synchronization = collective;
    }

    /// <summary>
    /// Whether the memory starts at iteration <paramref name="t"/> (from its start iteration on). The adaptive start
    /// watches the drift, which rank 0 alone measures: its decision is broadcast, so every rank starts together.
    /// </summary>
    private bool MemoryStartsAt(long t)
    {
        if (_startCondition is null)
            return true;
        if (_distributed.Collective.Size == 1)
            return _startCondition(t, _model);
        bool start = _distributed.WritesRun && _startCondition(t, _model);
        return DataParallel.Broadcast(_distributed.Collective, start);
    }

    /// <summary>
    /// One data-parallel step (docs/design.md §10). Every rank loads the same whole batch (same sampler state and
    /// augmentation seed) and embeds its contiguous slice; the slices are gathered in rank order into the global
    /// batch, which is enqueued whole, so every rank's memory is the same. Each rank's queries are scored against the
    /// global batch and the memory; the gradients that reach other ranks' rows through the keys are summed over the
    /// ranks and each rank takes its own rows, so the gradients averaged over the ranks are those of one process with
    /// the whole batch.
    /// </summary>
    private StepReport DataParallelStep(LoadedBatch batchData, double rate, OptimizerHelper optimizer, bool memoryActive, ref long skipped)
    {
        using var scope = NewDisposeScope();
        var collective = _distributed.Collective;
        long t = batchData.Iteration;
        var positions = batchData.Positions;
        if (positions.Count % collective.Size != 0)
            throw new InvalidOperationException($"the batch of {positions.Count} images does not split into {collective.Size} equal slices: "
                + "choose sampler.classes_per_batch × sampler.images_per_class divisible by the number of ranks");
        int share = positions.Count / collective.Size, offset = collective.Rank * share;
        var globalLabels = positions.Select(p => _labels[p]).ToArray();
        Profile?.Mark(StepProfile.Phase.Data);
        // The labels are known to every rank; gathering them checks that the ranks drew the same batch.
        var gathered = DataParallel.GatherValues(collective, globalLabels.AsSpan(offset, share).ToArray());
        if (!gathered.AsSpan().SequenceEqual(globalLabels))
            throw new InvalidOperationException($"iteration {t}: the ranks drew different batches; every rank needs the same configuration, seed and data");
        Profile?.Mark(StepProfile.Phase.Communication);
        // This rank's slice (the loader decodes only it, unless the batch did not split evenly).
        var images = batchData.Images(_device).narrow(0, offset - batchData.First, share);
        var labels = tensor(globalLabels, dtype: int64, device: _device);
        var ownLabels = labels.narrow(0, offset, share);
        var indices = tensor(positions.Select(p => (long)p).ToArray(), dtype: int64, device: _device);
        OptimizerFactory.SetLearningRate(optimizer, rate);
        Profile?.Mark(StepProfile.Phase.Data);

        var queries = _model.forward(images);
        Profile?.Mark(StepProfile.Phase.Forward);
        // The global batch as a leaf: its gradient is what this rank's loss sends to every rank's rows through the keys.
        var keys = DataParallel.GatherRows(collective, queries).requires_grad_(true);
        Profile?.Mark(StepProfile.Phase.Communication);
        using var first = ((long)offset).ToScalar();
        using var end = ((long)(offset + share)).ToScalar();
        using var self = arange(first, end, Scalars.One, dtype: int64, device: _device);
        // The classification task can switch the batch pair loss off, and weights it (docs/design.md §1).
        var batch = _classification is { BatchLossWeight: 0 } ? PairLoss.Zero(queries) : _loss.Compute(queries, ownLabels, keys, labels, self);
        var total = batch.Loss;
        if (_classification is not null)
            total = _classification.BatchTerm(total);
        double memoryLoss = double.NaN;
        MemoryStatistics? stats = null;
        Profile?.Mark(StepProfile.Phase.Loss);
        if (memoryActive && _memory is not null)
        {
            if (!keys.detach().isfinite().all().item<bool>()) // the global batch: the same decision on every rank
                return Skip(t, rate, "the embeddings", optimizer, ref skipped, batch.Pairs);
            var slots = _memory.Enqueue(keys.detach(), labels, indices, t);
            var fromMemory = _loss.Compute(queries, ownLabels, _memory.Keys, _memory.Labels, slots.narrow(0, offset, share));
            using var weight = _options.Memory.Weight.ToScalar();
            total = _options.Memory.MemoryLossOnly ? fromMemory.Loss : total.add(fromMemory.Loss, weight);
            memoryLoss = fromMemory.Loss.item<float>();
            stats = MemoryStatistics.Measure(_memory, t, fromMemory.Pairs);
            Profile?.Mark(StepProfile.Phase.Memory);
        }
        double crossEntropy = double.NaN;
        if (_classification is not null) // the mean over this rank's queries: the mean over the ranks is the whole batch's
            (total, crossEntropy) = _classification.Add(total, _model, queries, positions.Skip(offset).Take(share).ToList(), _device);
        // Each rank's loss divides by its share of queries, so the whole batch's loss is the mean over the ranks.
        double ownBatchLoss = batch.Loss.item<float>();
        double ownTotal = total.item<float>();
        Profile?.Mark(StepProfile.Phase.Loss);
        var global = DataParallel.MeanOverRanks(collective, ownTotal, ownBatchLoss, memoryLoss, crossEntropy);
        Profile?.Mark(StepProfile.Phase.Communication);
        double totalValue = global[0];
        if (!double.IsFinite(totalValue))
            return Skip(t, rate, "the loss", optimizer, ref skipped, batch.Pairs);

        optimizer.zero_grad();
        // What this rank's loss sends to every rank's rows through the keys: a pass through the loss graph only.
        var keyGradient = autograd.grad(new[] { total }, new[] { keys }, retain_graph: true, allow_unused: true)[0];
        Profile?.Mark(StepProfile.Phase.Backward);
        var backward = total;
        if (keyGradient is not null)
        {
            // ∂/∂θ ⟨Q_r, G_r⟩ with G_r this rank's rows of the summed key gradient is the key path of every rank's loss
            // into this rank's rows; one backward pass then gives it with the query path and the classifier's own
            // parameters (which do not lie below the queries).
            var ownRows = DataParallel.SumOverRanks(collective, keyGradient).narrow(0, offset, share);
            Profile?.Mark(StepProfile.Phase.Communication);
            backward = total.add(queries.mul(ownRows).sum(), Scalars.One);
        }
        backward.backward();
        Profile?.Mark(StepProfile.Phase.Backward);
        DataParallel.AverageGradients(collective, _model.parameters());
        Profile?.Mark(StepProfile.Phase.Communication);
        if (!ClipAndStep(optimizer))
            return Skip(t, rate, "the gradient", optimizer, ref skipped, batch.Pairs);

        // Pair statistics and per-pair losses describe this rank's queries (rank 0's in the log).
        return new StepReport(t, rate, totalValue, global[1], global[2], batch.Pairs, stats, 0)
        {
            CrossEntropy = global[3],
            BatchLossPerPair = PerPair(ownBatchLoss, batch.Pairs.Positives + batch.Pairs.Negatives, share),
            MemoryLossPerPair = stats is null ? double.NaN : PerPair(memoryLoss, stats.Positives + stats.Negatives, share),
        };
    }
}
