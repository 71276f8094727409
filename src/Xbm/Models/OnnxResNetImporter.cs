using Xbm.IO.Onnx;

namespace Xbm.Models;

/// <summary>
/// Maps an ONNX ResNet with basic blocks (ResNet-18 or -34, or CNTK's ResNet-18 with [2, 2, 2, 3] blocks; torchvision's topology, BatchNorm not folded, as exported by
/// CNTK for Microsoft.ML.DnnImageFeaturizer.ResNet18) to torchvision's state_dict names by following the graph from
/// its input: stem Conv → BatchNormalization → Relu → MaxPool, then per block Conv 3×3 → BN → Relu → Conv 3×3 → BN
/// → Add (with the block input, or with a 1×1 Conv → BN shortcut) → Relu, then a global average pool. The names of
/// the initializers do not matter (CNTK's are Parameter91, Constant98, …). Convolution and pooling attributes are
/// checked. CNTK's "same" padding of the stride-2 layers (pads 3/2 on the 7×7 stem, 1/0 on the 3×3 windows, where
/// torchvision pads 3/3 and 1/1) is accepted when the layer's input is of even size at the graph's declared input
/// size: a stride-2 window then never reaches the last padded row or column, so torchvision's ResNet computes the
/// same values (bit-identical in OnnxResNet18ParityTests). Anything else is an <see cref="InvalidDataException"/>
/// naming the file and the node or initializer.
/// </summary>
public sealed class OnnxResNetImporter
{
    private readonly OnnxModel model;
    private readonly Dictionary<string, List<OnnxNode>> consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxTensor> tensors = new(StringComparer.Ordinal);
    private readonly List<string> asymmetric = [];
    private long height, width;

    private OnnxResNetImporter(OnnxModel model)
    {
        this.model = model;
        foreach (var node in model.Nodes)
            foreach (string input in node.Inputs.Distinct())
            {
                if (!consumers.TryGetValue(input, out var list))
                    consumers[input] = list = [];
                list.Add(node);
            }
    }

    /// <summary>Reads <paramref name="path"/> and maps its weights (see the class summary).</summary>
    public static OnnxResNetImport Import(string path) => Import(OnnxModel.Load(path));

    /// <summary>Maps the weights of an already read <paramref name="model"/>.</summary>
    public static OnnxResNetImport Import(OnnxModel model) => new OnnxResNetImporter(model).Run();

    private OnnxResNetImport Run()
    {
        var inputs = model.Inputs;
        if (inputs.Count != 1)
            throw Error($"expected one image input, the graph has {inputs.Count} ({string.Join(", ", inputs)})");
        var input = inputs[0];
        if (input.Shape.Count != 4 || (input.Shape[1] != 3 && input.Shape[1] != -1))
            throw Error($"expected an input of shape [N, 3, H, W], graph input {input}");
        height = input.Shape[2];
        width = input.Shape[3];

        // Stem.
        var conv1 = Conv(Consumer(input.Name, "Conv", "the stem convolution"), "conv1", 3, 64, 7, 2);
        string x = BatchNorm(conv1, "bn1", 64);
        x = Single(Consumer(x, "Relu", "the ReLU after bn1"));
        var pool = Consumer(x, "MaxPool", "the stem max pool");
        CheckWindow(pool, "the stem max pool", 3, 2);
        x = Single(pool);

        // Blocks: a new layer starts where a block has a downsample shortcut.
        var counts = new List<int>();
        long channels = 64;
        int layer = 1, index = 0;
        counts.Add(0);
        while (true)
        {
            var next = consumers.GetValueOrDefault(x, []).Where(n => n.OpType == "Conv").ToList();
            if (next.Count == 0)
                break;
            var main = next.Where(n => KernelOf(n) == 3).ToList();
            var shortcut = next.Where(n => KernelOf(n) == 1).ToList();
            if (main.Count != 1 || shortcut.Count > 1 || main.Count + shortcut.Count != next.Count)
                throw Error($"expected one 3×3 Conv (and at most one 1×1 Conv shortcut) reading '{x}', found {string.Join("; ", next.Select(n => n.Label))}");
            long stride = StrideOf(main[0]);
            if (shortcut.Count == 1)
            {
                if (counts[^1] > 0)
                {
                    layer++;
                    index = 0;
                    counts.Add(0);
                }
                if (layer > 4)
                    throw Error($"{main[0].Label}: a fifth stage of blocks; a ResNet has four (layer1–layer4)");
            }
            long planes = 64L << (layer - 1);
            string prefix = $"layer{layer}.{index}";
            x = Block(x, main[0], shortcut.FirstOrDefault(), prefix, channels, planes, stride);
            channels = planes;
            counts[^1]++;
            index++;
        }
        if (counts.Count != 4)
            throw Error($"found {counts.Count} stages of blocks after '{pool.Label}' (blocks per stage [{string.Join(", ", counts)}]); a ResNet has four");
        int depth = counts.SequenceEqual([3, 4, 6, 3]) ? 34 : 18;

        // Global average pooling: the features.
        var head = consumers.GetValueOrDefault(x, []).Where(n => n.OpType is "AveragePool" or "GlobalAveragePool").ToList();
        if (head.Count != 1)
            throw Error($"expected a global AveragePool (or GlobalAveragePool) reading '{x}' after layer4, found {Describe(consumers.GetValueOrDefault(x, []))}");
        if (head[0].OpType == "AveragePool" && head[0].Ints("pads", [0, 0, 0, 0]).Any(p => p != 0))
            throw Error($"{head[0].Label}: the global pooling must not pad, has pads [{string.Join(", ", head[0].Ints("pads", []))}]");

        return new OnnxResNetImport
        {
            Source = model.Source,
            Depth = depth,
            Blocks = counts,
            AsymmetricPadding = asymmetric,
            Input = input,
            FeatureOutput = Single(head[0]),
            Tensors = tensors,
        };
    }

    private string Block(string input, OnnxNode first, OnnxNode? shortcut, string prefix, long inChannels, long planes, long stride)
    {
        if (stride != 1 && stride != 2)
            throw Error($"{first.Label}: stride {stride}; ResNet blocks use 1 or 2");
        if ((stride == 2 || inChannels != planes) && shortcut is null)
            throw Error($"{first.Label}: block {prefix} changes stride or width but has no 1×1 Conv shortcut reading '{input}'");
        var before = (Height: height, Width: width);
        Conv(first, $"{prefix}.conv1", inChannels, planes, 3, stride);
        string y = BatchNorm(first, $"{prefix}.bn1", planes);
        y = Single(Consumer(y, "Relu", $"the ReLU after {prefix}.bn1"));
        var second = Conv(Consumer(y, "Conv", $"{prefix}.conv2"), $"{prefix}.conv2", planes, planes, 3, 1);
        y = BatchNorm(second, $"{prefix}.bn2", planes);
        string residual = input;
        if (shortcut is not null)
        {
            (long h, long w) = (height, width);
            (height, width) = (before.Height, before.Width);
            Conv(shortcut, $"{prefix}.downsample.0", inChannels, planes, 1, stride);
            (height, width) = (h, w);
            residual = BatchNorm(shortcut, $"{prefix}.downsample.1", planes);
        }
        var add = Consumer(y, "Add", $"the residual sum of {prefix}");
        var others = add.Inputs.Where(i => i != y).ToList();
        if (add.Inputs.Count != 2 || others.Count != 1 || others[0] != residual)
            throw Error($"{add.Label}: expected the sum of '{y}' and '{residual}' ({(shortcut is null ? "the block input" : "the shortcut")}), it reads ({string.Join(", ", add.Inputs)})");
        return Single(Consumer(Single(add), "Relu", $"the ReLU after {prefix}"));
    }

    private OnnxNode Conv(OnnxNode node, string name, long inChannels, long outChannels, long kernel, long stride)
    {
        if (node.OpType != "Conv")
            throw Error($"{node.Label}: expected a Conv for {name}");
        if (node.Inputs.Count != 2)
            throw Error($"{node.Label} ({name}): expected inputs (data, weight) without a bias, has {node.Inputs.Count} inputs");
        if (node.Int("group", 1) != 1 || node.Ints("dilations", [1, 1]).Any(d => d != 1))
            throw Error($"{node.Label} ({name}): expected group 1 and dilation 1");
        if (StrideOf(node) != stride || node.Ints("strides", [1, 1]).Distinct().Count() != 1)
            throw Error($"{node.Label} ({name}): expected strides [{stride}, {stride}], has [{string.Join(", ", node.Ints("strides", [1, 1]))}]");
        CheckPads(node, name, kernel, stride);
        Take(node.Inputs[1], $"{name}.weight", node, [outChannels, inChannels, kernel, kernel]);
        return node;
    }

    private void CheckWindow(OnnxNode node, string what, long kernel, long stride)
    {
        if (!node.Ints("kernel_shape", []).SequenceEqual([kernel, kernel]) || !node.Ints("strides", [1, 1]).SequenceEqual([stride, stride]))
            throw Error($"{node.Label} ({what}): expected a {kernel}×{kernel} window with stride {stride}, has kernel [{string.Join(", ", node.Ints("kernel_shape", []))}] strides [{string.Join(", ", node.Ints("strides", []))}]");
        if (node.Int("ceil_mode", 0) != 0)
            throw Error($"{node.Label} ({what}): ceil_mode 1 is not torchvision's ResNet");
        CheckPads(node, what, kernel, stride);
    }

    // ONNX pads are [top, left, bottom, right]; torchvision pads k/2 on every side. CNTK's "same" padding puts one
    // row and column less after (3/2 on the 7×7 stem, 1/0 on 3×3 windows) on the stride-2 layers: equivalent when
    // the layer's input height and width are even, since the last window then ends on the first padded row/column.
    // Also tracks the spatial size through the layer (ceil(n / stride) under torchvision padding).
    private void CheckPads(OnnxNode node, string what, long kernel, long stride)
    {
        string autoPad = node.String("auto_pad", "NOTSET");
        if (autoPad != "NOTSET")
            throw Error($"{node.Label} ({what}): auto_pad {autoPad} is not supported; explicit pads are expected");
        var pads = node.Ints("pads", [0, 0, 0, 0]);
        long half = kernel / 2;
        bool symmetric = pads.SequenceEqual([half, half, half, half]);
        bool cntk = stride == 2 && kernel > 1 && pads.SequenceEqual([half, half, half - 1, half - 1]);
        if (cntk && (height <= 0 || width <= 0 || height % 2 != 0 || width % 2 != 0))
            throw Error($"{node.Label} ({what}): pads [{string.Join(", ", pads)}] equal torchvision's [{half}, {half}, {half}, {half}] only on inputs of even size; here the input is {(height > 0 && width > 0 ? $"{height}×{width}" : "of unknown size")}");
        if (!symmetric && !cntk)
            throw Error($"{node.Label} ({what}): pads [{string.Join(", ", pads)}] are neither torchvision's [{half}, {half}, {half}, {half}]"
                + (stride == 2 && kernel > 1 ? $" nor CNTK's 'same' [{half}, {half}, {half - 1}, {half - 1}]" : ""));
        if (cntk)
            asymmetric.Add($"{node.Label} pads [{string.Join(", ", pads)}] at {height}×{width}");
        if (height > 0)
            height = (height + stride - 1) / stride;
        if (width > 0)
            width = (width + stride - 1) / stride;
    }

    private string BatchNorm(OnnxNode producer, string name, long channels)
    {
        var node = Consumer(Single(producer), "BatchNormalization", name);
        if (node.Inputs.Count != 5)
            throw Error($"{node.Label} ({name}): expected inputs (data, scale, bias, mean, variance), has {node.Inputs.Count}");
        float eps = node.Float("epsilon", 1e-5f);
        if (Math.Abs(eps - 1e-5) > 1e-7)
            throw Error($"{node.Label} ({name}): epsilon {eps}; torchvision's BatchNorm uses 1e-5");
        if (node.Int("spatial", 1) != 1)
            throw Error($"{node.Label} ({name}): spatial 0 (per-pixel statistics) is not a BatchNorm2d");
        Take(node.Inputs[1], $"{name}.weight", node, [channels]);
        Take(node.Inputs[2], $"{name}.bias", node, [channels]);
        Take(node.Inputs[3], $"{name}.running_mean", node, [channels]);
        Take(node.Inputs[4], $"{name}.running_var", node, [channels]);
        return Single(node);
    }

    private void Take(string initializer, string name, OnnxNode node, long[] shape)
    {
        if (!model.Initializers.TryGetValue(initializer, out var t))
            throw Error($"{node.Label} ({name}): its input '{initializer}' is not an initializer (a constant weight)");
        if (!t.Shape.SequenceEqual(shape))
            throw Error($"initializer {t} of {node.Label}: {name} needs shape [{string.Join(", ", shape)}]");
        tensors[name] = t;
    }

    private OnnxNode Consumer(string value, string op, string what)
    {
        var found = consumers.GetValueOrDefault(value, []);
        var matching = found.Where(n => n.OpType == op).ToList();
        if (matching.Count != 1)
            throw Error($"expected one {op} reading '{value}' ({what}), found {Describe(found)}");
        return matching[0];
    }

    private string Single(OnnxNode node) =>
        node.Outputs.Count == 1 ? node.Outputs[0] : throw Error($"{node.Label}: expected one output, has {node.Outputs.Count}");

    private static long KernelOf(OnnxNode n)
    {
        var k = n.Ints("kernel_shape", []);
        return k.Count == 2 && k[0] == k[1] ? k[0] : -1;
    }

    private static long StrideOf(OnnxNode n) => n.Ints("strides", [1, 1])[0];

    private static string Describe(List<OnnxNode> nodes) => nodes.Count == 0 ? "none" : string.Join("; ", nodes.Select(n => n.Label));

    private InvalidDataException Error(string what) =>
        new($"{model.Source}: does not look like a ResNet-18/34 (producer {(model.Producer.Length > 0 ? model.Producer : "unknown")}): {what}");
}
