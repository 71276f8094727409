using TorchSharp;
using TorchSharp.Modules;

namespace Xbm.Training;

/// <summary>Creates the optimizer named in <see cref="OptimizerOptions"/>.</summary>
public static class OptimizerFactory
{
    /// <summary>Creates adam, adamw or sgd over <paramref name="parameters"/>.</summary>
    public static OptimizerHelper Create(OptimizerOptions options, IEnumerable<Parameter> parameters) => options.Name switch
    {
        "adam" => new Optimizers.Adam(parameters, options.LearningRate, options.Beta1, options.Beta2, weightDecay: options.WeightDecay),
        "adamw" => new Optimizers.AdamW(parameters, options.LearningRate, options.Beta1, options.Beta2, weightDecay: options.WeightDecay),
        "sgd" => new Optimizers.Sgd(parameters, options.LearningRate, options.Momentum, weightDecay: options.WeightDecay),
        _ => throw new ArgumentException($"unknown optimizer '{options.Name}' (expected adam, adamw or sgd)"),
    };

    /// <summary>Sets the learning rate of every parameter group.</summary>
    public static void SetLearningRate(OptimizerHelper optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = rate;
    }
}
