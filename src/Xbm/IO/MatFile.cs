using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Xbm.IO;

/// <summary>
/// Reads MATLAB Level 5 MAT-files (the format of <c>save -v7</c> and of scipy's <c>savemat</c>): the 128-byte
/// header, data elements in the normal and the small (4-byte) format, miMATRIX arrays (numeric classes double,
/// single and int8–uint64, logical, char, cell, struct, object) and zlib-compressed elements (miCOMPRESSED).
/// Sparse arrays, function handles and opaque objects are kept as <see cref="MatUnsupportedArray"/>.
/// Version 7.3 files are HDF5 and are rejected with a message saying so.
/// </summary>
public sealed class MatFile
{
    // Data types of the MAT v5 format.
    private const uint MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7,
        MiDouble = 9, MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15, MiUtf8 = 16, MiUtf16 = 17, MiUtf32 = 18;

    private const int HeaderBytes = 128;
    private const uint ComplexFlag = 0x800, LogicalFlag = 0x200;

    private readonly Dictionary<string, MatArray> _variables;

    private MatFile(string description, Dictionary<string, MatArray> variables)
    {
        Description = description;
        _variables = variables;
    }

    /// <summary>The header's descriptive text (e.g. "MATLAB 5.0 MAT-file, Platform: ...").</summary>
    public string Description { get; }

    /// <summary>The variables by name, in file order.</summary>
    public IReadOnlyDictionary<string, MatArray> Variables => _variables;

    /// <summary>The variable <paramref name="name"/>; fails naming the variables present when it is missing.</summary>
    public MatArray this[string name] => _variables.TryGetValue(name, out var v)
        ? v
        : throw new InvalidDataException($"no variable '{name}' (variables: {string.Join(", ", _variables.Keys)})");

    /// <summary>The variable <paramref name="name"/> as a <typeparamref name="T"/>; fails naming the file when it is missing or of another kind.</summary>
    public T Get<T>(string name, string source) where T : MatArray
    {
        if (!_variables.TryGetValue(name, out var v))
            throw new InvalidDataException($"{source}: no variable '{name}' (variables: {string.Join(", ", _variables.Keys)})");
        return v as T ?? throw new InvalidDataException($"{source}: variable '{name}' is a {v.Class.ToString().ToLowerInvariant()} array, expected {typeof(T).Name}");
    }

    /// <summary>Reads a MAT file. Errors are <see cref="InvalidDataException"/>s naming the file and the byte offset.</summary>
    public static MatFile Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Reads a MAT file from a stream; <paramref name="source"/> names it in messages.</summary>
    public static MatFile Read(Stream stream, string source)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.ToArray(), source);
    }

    /// <summary>Reads a MAT file from bytes; <paramref name="source"/> names it in messages.</summary>
    public static MatFile Read(byte[] bytes, string source)
    {
        if (bytes.Length < HeaderBytes)
            throw new InvalidDataException($"{source}: too short for a MAT file ({bytes.Length} bytes, the header alone is {HeaderBytes})");
        string description = Encoding.ASCII.GetString(bytes, 0, 116).TrimEnd('\0', ' ');
        bool bigEndian = (bytes[126], bytes[127]) switch
        {
            ((byte)'I', (byte)'M') => false,
            ((byte)'M', (byte)'I') => true,
            _ => throw new InvalidDataException($"{source}: not a MAT v5 file (no endian indicator at offset 126; MATLAB v4 files are not supported)"),
        };
        ushort version = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(124)) : BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(124));
        if (version == 0x0200 || description.StartsWith("MATLAB 7.3", StringComparison.Ordinal))
            throw new InvalidDataException($"{source}: a MATLAB v7.3 (HDF5) file; save it with `save -v7` to read it here");
        if (version != 0x0100)
            throw new InvalidDataException($"{source}: unknown MAT version 0x{version:X4} at offset 124");

        var variables = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        var parser = new Parser(bytes, bigEndian, source, "");
        int pos = HeaderBytes;
        while (pos + 8 <= bytes.Length)
        {
            var tag = parser.ReadTag(pos, bytes.Length);
            if (tag.Type == MiCompressed)
            {
                byte[] inflated = Inflate(bytes, tag.DataStart, tag.Size, source, pos);
                var inner = new Parser(inflated, bigEndian, source, $" (inside the compressed element at offset {pos})");
                int innerPos = 0;
                while (innerPos + 8 <= inflated.Length)
                {
                    var innerTag = inner.ReadTag(innerPos, inflated.Length);
                    if (innerTag.Type == MiMatrix)
                        Add(variables, inner.ReadMatrix(innerTag));
                    innerPos = innerTag.Next;
                }
                pos = tag.DataStart + tag.Size; // compressed elements are not padded
            }
            else
            {
                if (tag.Type == MiMatrix)
                    Add(variables, parser.ReadMatrix(tag));
                pos = tag.Next;
            }
        }
        return new MatFile(description, variables);
    }

    private static void Add(Dictionary<string, MatArray> variables, MatArray array)
    {
        if (array.Name.Length > 0) // MATLAB's unnamed subsystem block carries no user variable
            variables[array.Name] = array;
    }

    private static byte[] Inflate(byte[] bytes, int start, int size, string source, int offset)
    {
        try
        {
            using var input = new MemoryStream(bytes, start, size, writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            zlib.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: offset {offset}: corrupt compressed element ({e.Message})", e);
        }
    }

    private readonly record struct Tag(uint Type, int Size, int DataStart, int Next, int Offset);

    private sealed class Parser(byte[] data, bool bigEndian, string source, string where)
    {
        private InvalidDataException Error(int offset, string message) => new($"{source}: offset {offset}{where}: {message}");

        private uint U32(int pos) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));

        public Tag ReadTag(int pos, int end)
        {
            if (pos + 8 > end)
                throw Error(pos, "truncated data element tag");
            uint first = U32(pos);
            if (first >> 16 != 0)
            {
                // Small data element: size and type share the first four bytes, data in the next four.
                int smallSize = (int)(first >> 16);
                if (smallSize > 4)
                    throw Error(pos, $"small data element claims {smallSize} bytes (at most 4)");
                return new Tag(first & 0xFFFF, smallSize, pos + 4, pos + 8, pos);
            }
            uint size = U32(pos + 4);
            if (size > (uint)(end - pos - 8))
                throw Error(pos, $"data element of {size} bytes runs past the end ({end - pos - 8} bytes left)");
            int dataStart = pos + 8;
            int next = first == MiCompressed ? dataStart + (int)size : dataStart + (int)((size + 7) & ~7u);
            return new Tag(first, (int)size, dataStart, Math.Min(next, end), pos);
        }

        private Tag Expect(ref int pos, int end, string what, params uint[] types)
        {
            var tag = ReadTag(pos, end);
            if (!types.Contains(tag.Type))
                throw Error(pos, $"expected the {what} (type {string.Join(" or ", types)}), found type {tag.Type}");
            pos = tag.Next;
            return tag;
        }

        public MatArray ReadMatrix(Tag matrix)
        {
            int end = matrix.DataStart + matrix.Size;
            if (matrix.Size == 0)
                return new MatNumericArray("", MatClass.Double, [0, 0], [], null, false); // MATLAB's empty cell content
            int pos = matrix.DataStart;
            var flagsTag = Expect(ref pos, end, "array flags", MiUInt32);
            if (flagsTag.Size < 8)
                throw Error(flagsTag.Offset, "array flags shorter than 8 bytes");
            uint flags = U32(flagsTag.DataStart);
            var matClass = (MatClass)(flags & 0xFF);
            bool complex = (flags & ComplexFlag) != 0, logical = (flags & LogicalFlag) != 0;

            var dimsTag = Expect(ref pos, end, "dimensions", MiInt32);
            int[] dims = new int[dimsTag.Size / 4];
            for (int i = 0; i < dims.Length; i++)
            {
                dims[i] = (int)U32(dimsTag.DataStart + 4 * i);
                if (dims[i] < 0)
                    throw Error(dimsTag.Offset, $"negative dimension {dims[i]}");
            }
            long count = dims.Aggregate(1L, (a, d) => a * d);
            if (count > int.MaxValue)
                throw Error(dimsTag.Offset, "array too large");

            var nameTag = Expect(ref pos, end, "array name", MiInt8, MiUInt8);
            string name = Encoding.ASCII.GetString(data, nameTag.DataStart, nameTag.Size);

            switch (matClass)
            {
                case MatClass.Double or MatClass.Single or MatClass.Int8 or MatClass.UInt8 or MatClass.Int16 or MatClass.UInt16
                    or MatClass.Int32 or MatClass.UInt32 or MatClass.Int64 or MatClass.UInt64:
                {
                    double[] real = ReadNumbers(ref pos, end, (int)count, $"real part of '{name}'");
                    double[]? imaginary = complex ? ReadNumbers(ref pos, end, (int)count, $"imaginary part of '{name}'") : null;
                    return new MatNumericArray(name, matClass, dims, real, imaginary, logical);
                }
                case MatClass.Char:
                {
                    var tag = ReadTag(pos, end);
                    return new MatCharArray(name, dims, Rows(DecodeChars(tag), dims, (int)count, tag.Offset));
                }
                case MatClass.Cell:
                {
                    var cells = new MatArray[count];
                    for (int i = 0; i < count; i++)
                        cells[i] = ReadMatrix(Expect(ref pos, end, $"cell {i} of '{name}'", MiMatrix));
                    return new MatCellArray(name, dims, cells);
                }
                case MatClass.Struct or MatClass.Object:
                {
                    string? className = null;
                    if (matClass == MatClass.Object)
                    {
                        var classTag = Expect(ref pos, end, "class name", MiInt8, MiUInt8);
                        className = Encoding.ASCII.GetString(data, classTag.DataStart, classTag.Size);
                    }
                    var lengthTag = Expect(ref pos, end, "field name length", MiInt32);
                    int fieldLength = (int)U32(lengthTag.DataStart);
                    var namesTag = Expect(ref pos, end, "field names", MiInt8, MiUInt8);
                    if (fieldLength <= 0 || namesTag.Size % fieldLength != 0)
                        throw Error(namesTag.Offset, $"field names of {namesTag.Size} bytes do not divide into names of {fieldLength} bytes");
                    string[] fields = new string[namesTag.Size / fieldLength];
                    for (int f = 0; f < fields.Length; f++)
                    {
                        var span = data.AsSpan(namesTag.DataStart + f * fieldLength, fieldLength);
                        int zero = span.IndexOf((byte)0);
                        fields[f] = Encoding.ASCII.GetString(zero < 0 ? span : span[..zero]);
                    }
                    var values = new MatArray[count * fields.Length];
                    for (int i = 0; i < values.Length; i++)
                        values[i] = ReadMatrix(Expect(ref pos, end, $"field '{fields[i % fields.Length]}' of element {i / fields.Length} of '{name}'", MiMatrix));
                    return new MatStructArray(name, matClass, dims, fields, values, className);
                }
                default:
                    return new MatUnsupportedArray(name, matClass, dims);
            }
        }

        private double[] ReadNumbers(ref int pos, int end, int count, string what)
        {
            var tag = ReadTag(pos, end);
            pos = tag.Next;
            int width = tag.Type switch
            {
                MiInt8 or MiUInt8 => 1,
                MiInt16 or MiUInt16 => 2,
                MiInt32 or MiUInt32 or MiSingle => 4,
                MiDouble or MiInt64 or MiUInt64 => 8,
                _ => throw Error(tag.Offset, $"the {what} has non-numeric data type {tag.Type}"),
            };
            if (tag.Size != count * width)
                throw Error(tag.Offset, $"the {what} holds {tag.Size / width} values, the dimensions say {count}");
            var values = new double[count];
            var span = data.AsSpan(tag.DataStart, tag.Size);
            for (int i = 0; i < count; i++)
            {
                var s = span.Slice(i * width, width);
                values[i] = tag.Type switch
                {
                    MiInt8 => (sbyte)s[0],
                    MiUInt8 => s[0],
                    MiInt16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s),
                    MiUInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
                    MiInt32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s),
                    MiUInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
                    MiSingle => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
                    MiDouble => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s),
                    MiInt64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s),
                    _ => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s),
                };
            }
            return values;
        }

        private string DecodeChars(Tag tag)
        {
            var span = data.AsSpan(tag.DataStart, tag.Size);
            switch (tag.Type)
            {
                case MiUtf8:
                    return Encoding.UTF8.GetString(span);
                case MiInt8 or MiUInt8:
                    return Encoding.Latin1.GetString(span);
                case MiUInt16 or MiUtf16 or MiInt16:
                {
                    var chars = new char[span.Length / 2];
                    for (int i = 0; i < chars.Length; i++)
                        chars[i] = (char)(bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]));
                    return new string(chars);
                }
                case MiUtf32 or MiInt32 or MiUInt32:
                {
                    var sb = new StringBuilder(span.Length / 4);
                    for (int i = 0; i < span.Length / 4; i++)
                        sb.Append(char.ConvertFromUtf32((int)(bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(span[(4 * i)..]))));
                    return sb.ToString();
                }
                default:
                    throw Error(tag.Offset, $"character data of non-text type {tag.Type}");
            }
        }

        private string[] Rows(string text, int[] dims, int count, int offset)
        {
            if (count == 0)
                return [];
            int rows = dims[0];
            if (rows == 1)
                return [text]; // UTF-8 text may hold fewer UTF-16 units than dims say; a single row needs no reshaping
            if (text.Length != count)
                throw Error(offset, $"character array of {string.Join("x", dims)} holds {text.Length} characters");
            int columns = count / rows;
            var result = new string[rows];
            var row = new char[columns];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                    row[c] = text[r + rows * c]; // column-major
                result[r] = new string(row);
            }
            return result;
        }
    }
}
