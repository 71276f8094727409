namespace Xbm.Export;

/// <summary>One attribute of a node being exported: an integer, a float, a string, a list of integers or of floats.</summary>
internal sealed record OnnxAttributeValue
{
    private OnnxAttributeValue(string name) => Name = name;

    /// <summary>The attribute name, e.g. "strides".</summary>
    public string Name { get; }

    /// <summary>The integer value, when it is one.</summary>
    public long? Int { get; private init; }

    /// <summary>The float value, when it is one.</summary>
    public float? Float { get; private init; }

    /// <summary>The string value, when it is one.</summary>
    public string? String { get; private init; }

    /// <summary>The integer list, when it is one.</summary>
    public IReadOnlyList<long>? Ints { get; private init; }

    /// <summary>An integer attribute.</summary>
    public static OnnxAttributeValue Of(string name, long value) => new(name) { Int = value };

    /// <summary>A float attribute.</summary>
    public static OnnxAttributeValue Of(string name, float value) => new(name) { Float = value };

    /// <summary>A string attribute.</summary>
    public static OnnxAttributeValue Of(string name, string value) => new(name) { String = value };

    /// <summary>An integer-list attribute.</summary>
    public static OnnxAttributeValue Of(string name, IReadOnlyList<long> value) => new(name) { Ints = value.ToArray() };
}
