namespace Xbm.IO.Onnx;

/// <summary>A node of an ONNX graph (NodeProto): operator, name, input and output value names and attributes.</summary>
/// <param name="OpType">The operator, e.g. "Conv", "BatchNormalization".</param>
/// <param name="Name">The node's name (may be empty in ONNX; then its first output names it).</param>
/// <param name="Inputs">Names of the values it reads (data first, then initializers such as weights).</param>
/// <param name="Outputs">Names of the values it writes.</param>
/// <param name="Attributes">Its attributes by name.</param>
public sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>The node's name, or its first output when it has none: how messages refer to it.</summary>
    public string Label => Name.Length > 0 ? $"{OpType} node '{Name}'" : $"{OpType} node writing '{Outputs.FirstOrDefault()}'";

    /// <summary>The integer list attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public IReadOnlyList<long> Ints(string name, IReadOnlyList<long> fallback) =>
        Attributes.TryGetValue(name, out var a) && a.Ints.Count > 0 ? a.Ints : fallback;

    /// <summary>The integer attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) && a.Int is { } v ? v : fallback;

    /// <summary>The float attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) && a.Float is { } v ? v : fallback;

    /// <summary>The string attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Attributes.TryGetValue(name, out var a) && a.String is { } v ? v : fallback;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Label}: ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)}) {string.Join(" ", Attributes.Values)}";
}
