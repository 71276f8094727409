namespace Xbm.IO.Onnx;

/// <summary>A float32 initializer of an ONNX graph (TensorProto): its name, shape and values in row-major order.</summary>
/// <param name="Name">The initializer's name, e.g. "Parameter91".</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="Values">Its values (float_data or raw_data, little-endian float32).</param>
public sealed record OnnxTensor(string Name, long[] Shape, float[] Values)
{
    /// <summary>"Parameter91 [64, 3, 7, 7]".</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
