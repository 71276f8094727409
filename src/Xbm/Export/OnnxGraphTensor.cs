namespace Xbm.Export;

/// <summary>
/// A constant of the exported graph (an initializer): name, shape, and its values as float32 or int64, stored as
/// ONNX raw data (little-endian).
/// </summary>
internal sealed record OnnxGraphTensor(string Name, IReadOnlyList<long> Dims, float[]? Floats, long[]? Longs)
{
    /// <summary>ONNX TensorProto.DataType: 1 float, 7 int64.</summary>
    public int DataType => Floats is not null ? 1 : 7;
}
