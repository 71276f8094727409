using TorchSharp;
using TorchSharp.Modules;
using Xbm.Models;
using static TorchSharp.torch;
using BatchNorm2d = Xbm.Models.BatchNorm2d;

namespace Xbm.Export;

/// <summary>
/// Writes the ONNX operators of the building blocks the backbones are made of: convolution, our BatchNorm (eval
/// mode: the running statistics), ReLU, max and average pooling, global pooling, linear layers, sequences of
/// those, and the composite units (ResNet's blocks, GoogLeNet's convolution unit and Inception block). Each method
/// takes the name of its input value and returns the name of its output; operators are named after the modules'
/// state_dict paths. A module it does not know is an error naming its type and path, never a silent skip.
/// </summary>
internal static class ModuleEmitter
{
    /// <summary>Writes any supported module.</summary>
    public static string Module(OnnxGraphBuilder g, nn.Module module, string input, string path) => module switch
    {
        Conv2d conv => Conv(g, conv, input, path),
        BatchNorm2d bn => BatchNorm(g, bn, input, path),
        ReLU => Relu(g, input, path),
        MaxPool2d pool => MaxPool(g, pool, input, path),
        Sequential sequence => Sequence(g, sequence, input, path),
        GlobalPooling pooling => GlobalPool(g, pooling.Kind, input, path),
        GoogLeNetConv unit => GoogLeNetUnit(g, unit, input, path),
        GoogLeNetInception block => GoogLeNetBlock(g, block, input, path),
        ResNetBasicBlock or ResNetBottleneck => ResNetBlock(g, module, input, path),
        Linear linear => Gemm(g, linear, input, path),
        _ => throw new NotSupportedException($"ONNX export: module '{path}' is a {module.GetType().Name}, which the exporter does not know"),
    };

    /// <summary>A 2-D convolution (zero padding, any stride, dilation and groups).</summary>
    public static string Conv(OnnxGraphBuilder g, Conv2d conv, string input, string path)
    {
        if (conv.transposed)
            throw new NotSupportedException($"ONNX export: '{path}' is a transposed convolution");
        if (conv.padding_mode != PaddingModes.Zeros)
            throw new NotSupportedException($"ONNX export: '{path}' pads with {conv.padding_mode}; only zero padding is exported");
        long[] padding = conv.padding ?? throw new NotSupportedException($"ONNX export: '{path}' uses padding '{conv.padding_type}'; give explicit padding");
        var inputs = new List<string> { input, g.Weight(path + ".weight", conv.weight) };
        if (conv.bias is { } bias)
            inputs.Add(g.Weight(path + ".bias", bias));
        return g.Add("Conv", inputs, path,
            OnnxAttributeValue.Of("kernel_shape", conv.kernel_size),
            OnnxAttributeValue.Of("strides", conv.stride),
            OnnxAttributeValue.Of("pads", [padding[0], padding[1], padding[0], padding[1]]),
            OnnxAttributeValue.Of("dilations", conv.dilation),
            OnnxAttributeValue.Of("group", conv.groups));
    }

    /// <summary>BatchNorm in eval mode: the running mean and variance, scale and shift, the layer's eps; then ReLU if the layer applies it.</summary>
    public static string BatchNorm(OnnxGraphBuilder g, BatchNorm2d bn, string input, string path)
    {
        string output = g.Add("BatchNormalization",
            [input, g.Weight(path + ".weight", bn.Weight), g.Weight(path + ".bias", bn.Bias),
             g.Weight(path + ".running_mean", bn.RunningMean), g.Weight(path + ".running_var", bn.RunningVar)],
            path, OnnxAttributeValue.Of("epsilon", (float)bn.Eps));
        return bn.Relu ? Relu(g, output, path + ".relu") : output;
    }

    /// <summary>ReLU.</summary>
    public static string Relu(OnnxGraphBuilder g, string input, string path) => g.Add("Relu", [input], path);

    /// <summary>A max pooling module (stride defaults to the kernel, as in PyTorch).</summary>
    public static string MaxPool(OnnxGraphBuilder g, MaxPool2d pool, string input, string path)
    {
        long[] kernel = pool.kernel_size;
        long[] stride = pool.stride is { Length: > 0 } s ? s : kernel;
        long[] padding = pool.padding is { Length: > 0 } p ? p : [0, 0];
        long[] dilation = pool.dilation is { Length: > 0 } d ? d : [1, 1];
        if (dilation.Any(x => x != 1))
            throw new NotSupportedException($"ONNX export: max pooling '{path}' has dilation [{string.Join(", ", dilation)}]");
        return MaxPool(g, input, path, Pair(kernel), Pair(stride), Pair(padding), pool.ceil_mode);
    }

    /// <summary>Max pooling as <c>functional.max_pool2d(x, kernel, stride, padding, ceil_mode)</c>.</summary>
    public static string MaxPool(OnnxGraphBuilder g, string input, string path, long kernel, long stride, long padding, bool ceil) =>
        g.Add("MaxPool", [input], path,
            OnnxAttributeValue.Of("kernel_shape", [kernel, kernel]),
            OnnxAttributeValue.Of("strides", [stride, stride]),
            OnnxAttributeValue.Of("pads", [padding, padding, padding, padding]),
            OnnxAttributeValue.Of("ceil_mode", ceil ? 1L : 0L));

    /// <summary>Average pooling as <c>functional.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad)</c>.</summary>
    public static string AveragePool(OnnxGraphBuilder g, string input, string path, long kernel, long stride, long padding, bool ceil, bool countIncludePad) =>
        g.Add("AveragePool", [input], path,
            OnnxAttributeValue.Of("kernel_shape", [kernel, kernel]),
            OnnxAttributeValue.Of("strides", [stride, stride]),
            OnnxAttributeValue.Of("pads", [padding, padding, padding, padding]),
            OnnxAttributeValue.Of("ceil_mode", ceil ? 1L : 0L),
            OnnxAttributeValue.Of("count_include_pad", countIncludePad ? 1L : 0L));

    /// <summary>Global pooling N×C×H×W → N×C (average, max, or their sum).</summary>
    public static string GlobalPool(OnnxGraphBuilder g, GlobalPoolingKind kind, string input, string path)
    {
        string pooled = kind switch
        {
            GlobalPoolingKind.Average => g.Add("GlobalAveragePool", [input], path + ".avg"),
            GlobalPoolingKind.Max => g.Add("GlobalMaxPool", [input], path + ".max"),
            _ => g.Add("Add", [g.Add("GlobalAveragePool", [input], path + ".avg"), g.Add("GlobalMaxPool", [input], path + ".max")], path + ".sum"),
        };
        return g.Add("Flatten", [pooled], path, OnnxAttributeValue.Of("axis", 1L));
    }

    /// <summary>A linear layer y = x Wᵀ + b.</summary>
    public static string Gemm(OnnxGraphBuilder g, Linear linear, string input, string path)
    {
        var inputs = new List<string> { input, g.Weight(path + ".weight", linear.weight) };
        if (linear.bias is { } bias)
            inputs.Add(g.Weight(path + ".bias", bias));
        return g.Add("Gemm", inputs, path, OnnxAttributeValue.Of("transB", 1L));
    }

    /// <summary>A Sequential: its children in order, each named by its path.</summary>
    public static string Sequence(OnnxGraphBuilder g, Sequential sequence, string input, string path)
    {
        string x = input;
        foreach (var (name, child) in sequence.named_children())
            x = Module(g, child, x, $"{path}.{name}");
        return x;
    }

    /// <summary>GoogLeNet's BasicConv2d: conv, bn (eps 1e-3), ReLU.</summary>
    public static string GoogLeNetUnit(OnnxGraphBuilder g, GoogLeNetConv unit, string input, string path)
    {
        var children = Children(unit);
        string x = Conv(g, (Conv2d)children["conv"], input, path + ".conv");
        x = BatchNorm(g, (BatchNorm2d)children["bn"], x, path + ".bn");
        return Relu(g, x, path + ".relu");
    }

    /// <summary>GoogLeNet's Inception block: four branches concatenated along the channels.</summary>
    public static string GoogLeNetBlock(OnnxGraphBuilder g, GoogLeNetInception block, string input, string path)
    {
        var children = Children(block);
        var branches = new[] { "branch1", "branch2", "branch3", "branch4" }
            .Select(name => Module(g, children[name], input, $"{path}.{name}")).ToArray();
        return g.Add("Concat", branches, path, OnnxAttributeValue.Of("axis", 1L));
    }

    /// <summary>ResNet's basic block or bottleneck: conv-bn-relu units, the shortcut (downsample when present), the sum, ReLU.</summary>
    public static string ResNetBlock(OnnxGraphBuilder g, nn.Module block, string input, string path)
    {
        var children = Children(block);
        int units = children.ContainsKey("conv3") ? 3 : 2;
        string y = input;
        for (int i = 1; i <= units; i++)
        {
            y = Conv(g, (Conv2d)children[$"conv{i}"], y, $"{path}.conv{i}");
            y = BatchNorm(g, (BatchNorm2d)children[$"bn{i}"], y, $"{path}.bn{i}");
            if (i < units)
                y = Relu(g, y, $"{path}.relu{i}");
        }
        string shortcut = children.TryGetValue("downsample", out var downsample) ? Module(g, downsample, input, path + ".downsample") : input;
        return Relu(g, g.Add("Add", [y, shortcut], path + ".add"), path + ".relu");
    }

    /// <summary>The direct children of <paramref name="module"/> by name.</summary>
    public static Dictionary<string, nn.Module> Children(nn.Module module) =>
        module.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

    private static long Pair(long[] values)
    {
        if (values.Length == 1 || (values.Length == 2 && values[0] == values[1]))
            return values[0];
        throw new NotSupportedException($"ONNX export: non-square pooling [{string.Join(", ", values)}]");
    }
}
