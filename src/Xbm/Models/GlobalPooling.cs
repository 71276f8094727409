using Xbm.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.Models;

/// <summary>How a backbone's last feature map (N×C×H×W) becomes one vector per image (N×C).</summary>
public enum GlobalPoolingKind
{
    /// <summary>Mean over the spatial positions.</summary>
    Average,

    /// <summary>Maximum over the spatial positions (the XBM reference's choice for ResNet-50).</summary>
    Max,

    /// <summary>The sum of average and max pooling (same width C; the usual "avg+max" of metric-learning code).</summary>
    AverageMax,
}

/// <summary>Global pooling over the spatial positions: N×C×H×W to N×C. Has no parameters.</summary>
public sealed class GlobalPooling : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the pooling of the given kind.</summary>
    public GlobalPooling(GlobalPoolingKind kind) : base(nameof(GlobalPooling))
    {
        Kind = kind;
    }

    /// <summary>The kind of pooling.</summary>
    public GlobalPoolingKind Kind { get; }

    /// <summary>The config names: "avg", "max", "avg+max".</summary>
    public static IReadOnlyList<string> Names { get; } = ["avg", "max", "avg+max"];

    /// <summary>Parses a config name ("avg", "max", "avg+max").</summary>
    public static GlobalPoolingKind Parse(string name) => name switch
    {
        "avg" => GlobalPoolingKind.Average,
        "max" => GlobalPoolingKind.Max,
        "avg+max" => GlobalPoolingKind.AverageMax,
        _ => throw new ArgumentException($"unknown global pooling '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>The config name of a kind.</summary>
    public static string NameOf(GlobalPoolingKind kind) => Names[(int)kind];

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4)
            throw new ArgumentException($"global pooling expects N×C×H×W, got [{string.Join(", ", input.shape)}]", nameof(input));
        long[] spatial = [2, 3];
        switch (Kind)
        {
            case GlobalPoolingKind.Average:
                return input.mean(spatial);
            case GlobalPoolingKind.Max:
                return input.amax(spatial);
            default:
                using (var average = input.mean(spatial))
                using (var max = input.amax(spatial))
                    return average.add(max, Scalars.One);
        }
    }
}
