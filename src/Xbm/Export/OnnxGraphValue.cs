namespace Xbm.Export;

/// <summary>
/// A graph input or output: name, element type (ONNX TensorProto.DataType, 1 = float) and shape, each dimension a
/// fixed size or, for dynamic ones, a symbolic name such as "batch".
/// </summary>
internal sealed record OnnxGraphValue(string Name, int ElementType, IReadOnlyList<OnnxDimension> Shape);
