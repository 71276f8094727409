namespace Xbm.IO.Onnx;

/// <summary>A graph input or output (ValueInfoProto): its name and, when the file states it, its shape.</summary>
/// <param name="Name">The value's name, e.g. "Input247".</param>
/// <param name="Shape">Its dimensions; a symbolic or unknown dimension is -1.</param>
public sealed record OnnxValueInfo(string Name, IReadOnlyList<long> Shape)
{
    /// <summary>"Input247 [1, 3, 224, 224]".</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
