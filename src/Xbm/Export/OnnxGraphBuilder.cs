using static TorchSharp.torch;

namespace Xbm.Export;

/// <summary>
/// Collects the ONNX graph of a model while the emitters walk its module tree: operators in execution order,
/// constants (weights copied out of the TorchSharp tensors, in NCHW order whatever their memory layout), and the
/// graph's inputs and outputs. Value names are made unique, so emitters may name outputs after the modules' own
/// state_dict paths ("layer1.0.conv1").
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly List<OnnxGraphNode> nodes = [];
    private readonly List<OnnxGraphTensor> initializers = [];
    private readonly List<OnnxGraphValue> inputs = [];
    private readonly List<OnnxGraphValue> outputs = [];
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>The operators, in execution order.</summary>
    public IReadOnlyList<OnnxGraphNode> Nodes => nodes;

    /// <summary>The constants (weights, statistics, shapes).</summary>
    public IReadOnlyList<OnnxGraphTensor> Initializers => initializers;

    /// <summary>The graph inputs.</summary>
    public IReadOnlyList<OnnxGraphValue> Inputs => inputs;

    /// <summary>The graph outputs.</summary>
    public IReadOnlyList<OnnxGraphValue> Outputs => outputs;

    /// <summary>Declares a graph input and returns its name.</summary>
    public string Input(OnnxGraphValue value)
    {
        Claim(value.Name);
        inputs.Add(value);
        return value.Name;
    }

    /// <summary>Declares the value <paramref name="value"/> as a graph output under <paramref name="output"/>'s name.</summary>
    public void Output(string value, OnnxGraphValue output)
    {
        Add("Identity", [value], output.Name, exactName: true);
        outputs.Add(output);
    }

    /// <summary>
    /// Adds an operator with one output, named <paramref name="name"/> (made unique), and returns the output's name.
    /// </summary>
    public string Add(string opType, IReadOnlyList<string> nodeInputs, string name, params OnnxAttributeValue[] attributes) =>
        Add(opType, nodeInputs, name, false, attributes);

    /// <summary>Adds a float constant copied from <paramref name="tensor"/> (any layout, any float type) and returns its name.</summary>
    public string Weight(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var values = tensor.detach().cpu().to(ScalarType.Float32).contiguous();
        return Floats(name, values.data<float>().ToArray(), tensor.shape);
    }

    /// <summary>Adds a float constant of shape <paramref name="dims"/> and returns its name.</summary>
    public string Floats(string name, float[] values, params long[] dims)
    {
        Check(values.Length, dims, name);
        name = Unique(name);
        initializers.Add(new OnnxGraphTensor(name, dims, values, null));
        return name;
    }

    /// <summary>Adds an int64 constant of shape <paramref name="dims"/> and returns its name.</summary>
    public string Longs(string name, long[] values, params long[] dims)
    {
        Check(values.Length, dims, name);
        name = Unique(name);
        initializers.Add(new OnnxGraphTensor(name, dims, null, values));
        return name;
    }

    private string Add(string opType, IReadOnlyList<string> nodeInputs, string name, bool exactName, params OnnxAttributeValue[] attributes)
    {
        foreach (string input in nodeInputs)
            if (input.Length > 0 && !names.Contains(input))
                throw new InvalidOperationException($"{opType} '{name}' reads '{input}', which no earlier operator, input or constant defines");
        if (exactName)
            Claim(name);
        else
            name = Unique(name);
        nodes.Add(new OnnxGraphNode(opType, nodeInputs.ToArray(), [name], name, attributes));
        return name;
    }

    private void Claim(string name)
    {
        if (!names.Add(name))
            throw new InvalidOperationException($"the graph already has a value named '{name}'");
    }

    private string Unique(string name)
    {
        string candidate = name;
        for (int i = 1; !names.Add(candidate); i++)
            candidate = $"{name}_{i}";
        return candidate;
    }

    private static void Check(int count, long[] dims, string name)
    {
        long expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != count)
            throw new ArgumentException($"constant '{name}': {count} values for the shape [{string.Join(", ", dims)}]");
    }
}
