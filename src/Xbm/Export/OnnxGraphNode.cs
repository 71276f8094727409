namespace Xbm.Export;

/// <summary>One operator of the exported graph: its type, input and output value names, name and attributes.</summary>
internal sealed record OnnxGraphNode(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, string Name, IReadOnlyList<OnnxAttributeValue> Attributes);
