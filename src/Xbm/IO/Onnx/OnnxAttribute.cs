namespace Xbm.IO.Onnx;

/// <summary>
/// A node attribute of an ONNX graph (AttributeProto), reduced to the kinds a convolutional network uses: an
/// integer, a float, a string, or a list of integers.
/// </summary>
/// <param name="Name">Attribute name, e.g. "pads".</param>
/// <param name="Int">The integer value (type INT), if any.</param>
/// <param name="Float">The float value (type FLOAT), if any.</param>
/// <param name="String">The string value (type STRING), if any.</param>
/// <param name="Ints">The integer list (type INTS); empty if none.</param>
public sealed record OnnxAttribute(string Name, long? Int, float? Float, string? String, IReadOnlyList<long> Ints)
{
    /// <summary>"pads=[1, 1, 0, 0]", "epsilon=1E-05", ….</summary>
    public override string ToString() =>
        $"{Name}={(Ints.Count > 0 ? $"[{string.Join(", ", Ints)}]" : Int?.ToString() ?? Float?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? String ?? "?")}";
}
