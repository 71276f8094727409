using System.Globalization;

namespace Xbm.IO;

/// <summary>The MATLAB array class of a <see cref="MatArray"/> (the mxCLASS codes of the MAT v5 format).</summary>
public enum MatClass
{
    /// <summary>Cell array.</summary>
    Cell = 1,
    /// <summary>Structure array.</summary>
    Struct = 2,
    /// <summary>Object (a structure with a class name).</summary>
    Object = 3,
    /// <summary>Character array.</summary>
    Char = 4,
    /// <summary>Sparse matrix.</summary>
    Sparse = 5,
    /// <summary>64-bit float.</summary>
    Double = 6,
    /// <summary>32-bit float.</summary>
    Single = 7,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 9,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 10,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 11,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 12,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 13,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 14,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 15,
    /// <summary>Function handle.</summary>
    Function = 16,
    /// <summary>Opaque (MATLAB classdef) object.</summary>
    Opaque = 17,
}

/// <summary>A MATLAB array read from a MAT v5 file: a name, a class and dimensions (column-major element order).</summary>
public abstract class MatArray
{
    private protected MatArray(string name, MatClass matClass, int[] dimensions)
    {
        Name = name;
        Class = matClass;
        Dimensions = dimensions;
    }

    /// <summary>The variable name (empty for elements nested in cells and structures).</summary>
    public string Name { get; }

    /// <summary>The MATLAB class.</summary>
    public MatClass Class { get; }

    /// <summary>The dimensions (at least two for arrays MATLAB writes).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Number of elements (the product of the dimensions).</summary>
    public int Count => Dimensions.Aggregate(1, (a, d) => checked(a * d));

    /// <inheritdoc/>
    public override string ToString() => $"{(Name.Length == 0 ? "(unnamed)" : Name)}: {Class.ToString().ToLowerInvariant()} {string.Join("x", Dimensions)}";
}

/// <summary>A numeric or logical array. Values are widened to double (integers above 2^53 lose precision).</summary>
public sealed class MatNumericArray : MatArray
{
    internal MatNumericArray(string name, MatClass matClass, int[] dimensions, double[] real, double[]? imaginary, bool isLogical)
        : base(name, matClass, dimensions)
    {
        Real = real;
        Imaginary = imaginary;
        IsLogical = isLogical;
    }

    /// <summary>The real parts in column-major order.</summary>
    public IReadOnlyList<double> Real { get; }

    /// <summary>The imaginary parts, or null for a real array.</summary>
    public IReadOnlyList<double>? Imaginary { get; }

    /// <summary>True for a MATLAB logical array (stored as uint8).</summary>
    public bool IsLogical { get; }

    /// <summary>The value of a one-element array; fails naming the array otherwise.</summary>
    public double Scalar() => Count == 1 ? Real[0] : throw new InvalidDataException($"{this}: expected one value, found {Count}");

    /// <summary>The value of a one-element array as an integer; fails when it is not a whole number.</summary>
    public long ScalarInt64()
    {
        double v = Scalar();
        if (v != Math.Floor(v) || Math.Abs(v) > 9.007199254740992e15)
            throw new InvalidDataException($"{this}: {v.ToString(CultureInfo.InvariantCulture)} is not an integer");
        return (long)v;
    }
}

/// <summary>A character array; each row of an M×N array is one string.</summary>
public sealed class MatCharArray : MatArray
{
    internal MatCharArray(string name, int[] dimensions, string[] rows) : base(name, MatClass.Char, dimensions) => Rows = rows;

    /// <summary>The rows (one string for a 1×N array, none for an empty one).</summary>
    public IReadOnlyList<string> Rows { get; }

    /// <summary>The text: the single row, or the rows joined with newlines.</summary>
    public string Text => string.Join("\n", Rows);
}

/// <summary>A cell array.</summary>
public sealed class MatCellArray : MatArray
{
    internal MatCellArray(string name, int[] dimensions, MatArray[] cells) : base(name, MatClass.Cell, dimensions) => Cells = cells;

    /// <summary>The cells in column-major order.</summary>
    public IReadOnlyList<MatArray> Cells { get; }
}

/// <summary>A structure array (or an object, which adds a class name).</summary>
public sealed class MatStructArray : MatArray
{
    private readonly MatArray[] _values; // element-major: element e, field f at e * FieldCount + f
    private readonly Dictionary<string, int> _fieldIndex;

    internal MatStructArray(string name, MatClass matClass, int[] dimensions, string[] fieldNames, MatArray[] values, string? className)
        : base(name, matClass, dimensions)
    {
        FieldNames = fieldNames;
        _values = values;
        ClassName = className;
        _fieldIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < fieldNames.Length; i++)
            _fieldIndex.TryAdd(fieldNames[i], i);
    }

    /// <summary>The field names, in file order.</summary>
    public IReadOnlyList<string> FieldNames { get; }

    /// <summary>The class name of an object, null for a plain structure.</summary>
    public string? ClassName { get; }

    /// <summary>True when the structure has the field.</summary>
    public bool HasField(string field) => _fieldIndex.ContainsKey(field);

    /// <summary>The value of <paramref name="field"/> in element <paramref name="element"/> (column-major index).</summary>
    public MatArray this[int element, string field]
    {
        get
        {
            if ((uint)element >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(element), $"{this}: element {element} is out of range");
            if (!_fieldIndex.TryGetValue(field, out int f))
                throw new InvalidDataException($"{this}: no field '{field}' (fields: {string.Join(", ", FieldNames)})");
            return _values[element * FieldNames.Count + f];
        }
    }
}

/// <summary>An array of a class this reader does not decode (sparse, function handle, opaque); kept so the rest of the file reads.</summary>
public sealed class MatUnsupportedArray : MatArray
{
    internal MatUnsupportedArray(string name, MatClass matClass, int[] dimensions) : base(name, matClass, dimensions) { }
}
