using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using static TorchSharp.torch;

namespace Xbm.IO;

/// <summary>The header of a .npy file: element type, shape, layout and where the data starts.</summary>
/// <param name="Descr">NumPy's type string, e.g. "&lt;f4".</param>
/// <param name="DType">The matching TorchSharp scalar type.</param>
/// <param name="Shape">The array's shape (empty for a 0-d array).</param>
/// <param name="Version">Format version (major, minor): 1.0, 2.0 or 3.0.</param>
/// <param name="DataOffset">Byte offset of the first element.</param>
public sealed record NpyHeader(string Descr, ScalarType DType, long[] Shape, (int Major, int Minor) Version, long DataOffset)
{
    /// <summary>Number of elements (the product of the shape).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>
/// Reads and writes NumPy's .npy format (our own implementation). Reads versions 1.0, 2.0 and 3.0; writes 1.0
/// (2.0 only when a header exceeds 64 KiB), byte-identical to <c>numpy.save</c> for the same array. Element types:
/// float32 (&lt;f4), float64 (&lt;f8), int64 (&lt;i8), int32 (&lt;i4), uint8 (|u1) and bool (|b1), little-endian, C order,
/// any rank. Errors name the file.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };
    private const int ArrayAlign = 64;          // numpy's ARRAY_ALIGN
    private const int GrowthAxisMaxDigits = 21; // numpy's GROWTH_AXIS_MAX_DIGITS
    private const int MaxHeaderBytes = 1 << 24;
    private const long CopyChunkBytes = 1L << 28;

    private static readonly (string Descr, ScalarType DType, Type Clr, int Size)[] Types =
    {
        ("<f4", ScalarType.Float32, typeof(float), 4),
        ("<f8", ScalarType.Float64, typeof(double), 8),
        ("<i8", ScalarType.Int64, typeof(long), 8),
        ("<i4", ScalarType.Int32, typeof(int), 4),
        ("|u1", ScalarType.Byte, typeof(byte), 1),
        ("|b1", ScalarType.Bool, typeof(bool), 1),
    };

    /// <summary>Reads a .npy file into a new CPU tensor of the file's element type and shape.</summary>
    public static Tensor Read(string path)
    {
        using var stream = OpenForRead(path);
        var header = ReadHeader(stream, path);
        var result = empty(header.Shape, dtype: header.DType);
        try
        {
            using var flat = result.view(-1);
            CopyChunks(flat, ElementSize(header.DType), span =>
            {
                int got = stream.ReadAtLeast(span, span.Length, throwOnEndOfStream: false);
                if (got < span.Length)
                    throw Truncated(path, header, stream.Length);
            });
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Reads a .npy file whose element type is <typeparamref name="T"/> into an array (C order).</summary>
    /// <typeparam name="T">float, double, long, int, byte or bool; must match the file.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="shape">The array's shape.</param>
    public static T[] Read<T>(string path, out long[] shape) where T : unmanaged
    {
        var expected = TypeOf(typeof(T));
        using var stream = OpenForRead(path);
        var header = ReadHeader(stream, path);
        if (header.DType != expected.DType)
            throw new InvalidDataException($"{path}: holds '{header.Descr}' ({header.DType}) elements, expected '{expected.Descr}' ({typeof(T).Name})");
        long count = header.ElementCount;
        if (count > Array.MaxLength)
            throw new InvalidDataException($"{path}: {count} elements do not fit in one array; read it as a tensor");
        var data = new T[count];
        var bytes = MemoryMarshal.AsBytes(data.AsSpan());
        int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (got < bytes.Length)
            throw Truncated(path, header, stream.Length);
        shape = header.Shape;
        return data;
    }

    /// <summary>Reads only the header of a .npy file.</summary>
    public static NpyHeader ReadHeader(string path)
    {
        using var stream = OpenForRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>
    /// Writes a tensor (any device; copied to the CPU in C order) atomically. Supported element types: float32,
    /// float64, int64, int32, uint8, bool.
    /// </summary>
    public static void Write(string path, Tensor tensor)
    {
        var type = Types.FirstOrDefault(t => t.DType == tensor.dtype);
        if (type.Descr is null)
            throw new NotSupportedException($"{path}: .npy writing supports float32, float64, int64, int32, uint8 and bool tensors, not {tensor.dtype}");
        using var cpu = tensor.detach().cpu().contiguous();
        byte[] header = BuildHeader(type.Descr, cpu.shape);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            using var flat = cpu.view(-1);
            CopyChunks(flat, type.Size, span => stream.Write(span));
        });
    }

    /// <summary>Writes an array (C order) with the given shape atomically.</summary>
    /// <typeparam name="T">float, double, long, int, byte or bool.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="data">The elements in C order.</param>
    /// <param name="shape">The shape; its product must equal the length of <paramref name="data"/>. Empty for a 0-d array.</param>
    public static void Write<T>(string path, T[] data, params long[] shape) where T : unmanaged
    {
        var type = TypeOf(typeof(T));
        long count = shape.Aggregate(1L, (a, b) => b < 0 ? throw new ArgumentException($"negative dimension {b} in the shape", nameof(shape)) : checked(a * b));
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but {data.Length} were given", nameof(shape));
        byte[] header = BuildHeader(type.Descr, shape);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
        });
    }

    /// <summary>The header bytes numpy writes for an array of this type string and shape (C order).</summary>
    internal static byte[] BuildHeader(string descr, IReadOnlyList<long> shape)
    {
        string shapeText = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // numpy leaves room for the first axis to grow in place.
        if (shape.Count > 0)
            dict += new string(' ', Math.Max(0, GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        byte[] text = Encoding.Latin1.GetBytes(dict);
        foreach (var (major, lengthBytes) in new[] { (1, 2), (2, 4) })
        {
            int headerLength = text.Length + 1; // + the final newline
            int padding = ArrayAlign - (Magic.Length + 2 + lengthBytes + headerLength) % ArrayAlign;
            int total = headerLength + padding;
            if (major == 1 && total > ushort.MaxValue)
                continue;
            var result = new byte[Magic.Length + 2 + lengthBytes + total];
            Magic.CopyTo(result, 0);
            result[6] = (byte)major;
            result[7] = 0;
            if (lengthBytes == 2)
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)total);
            else
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)total);
            int at = 8 + lengthBytes;
            text.CopyTo(result, at);
            result.AsSpan(at + text.Length, padding).Fill((byte)' ');
            result[^1] = (byte)'\n';
            return result;
        }
        throw new InvalidOperationException("unreachable: version 2.0 holds any header");
    }

    private static FileStream OpenForRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"{path}: no such .npy file", path);
        }
    }

    private static NpyHeader ReadHeader(Stream stream, string path)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8 || !prefix[..6].SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a .npy file (the magic string \\x93NUMPY is missing)");
        int major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new InvalidDataException($"{path}: .npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        int lengthBytes = major == 1 ? 2 : 4;
        Span<byte> lengthField = stackalloc byte[4];
        if (stream.ReadAtLeast(lengthField[..lengthBytes], lengthBytes, throwOnEndOfStream: false) < lengthBytes)
            throw new InvalidDataException($"{path}: the file ends inside the header length");
        long headerLength = lengthBytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (headerLength > MaxHeaderBytes || headerLength > stream.Length - 8 - lengthBytes)
            throw new InvalidDataException($"{path}: header length {headerLength} is not plausible (file has {stream.Length} bytes)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var (descr, fortranOrder, shape) = NpyHeaderParser.Parse(text, path);
        if (fortranOrder)
            throw new InvalidDataException($"{path}: the array is stored in Fortran order (fortran_order: True); only C order is supported. Save it with numpy.ascontiguousarray first.");
        var type = Types.FirstOrDefault(t => t.Descr == NormaliseDescr(descr));
        if (type.Descr is null)
        {
            string why = descr.StartsWith('>') ? "big-endian data is not supported" : "this element type is not supported";
            throw new InvalidDataException($"{path}: dtype '{descr}': {why} (supported: {string.Join(", ", Types.Select(t => t.Descr))})");
        }
        var header = new NpyHeader(descr, type.DType, shape, (major, minor), 8 + lengthBytes + headerLength);
        long needed;
        try
        {
            needed = checked(header.DataOffset + header.ElementCount * type.Size);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{path}: shape [{string.Join(", ", shape)}] is too large");
        }
        if (needed > stream.Length)
            throw Truncated(path, header, stream.Length);
        if (needed < stream.Length)
            throw new InvalidDataException($"{path}: {stream.Length - needed} unexpected bytes after the data of '{descr}' [{string.Join(", ", shape)}]");
        return header;
    }

    /// <summary>Maps numpy's equivalent spellings of a type string to the one numpy writes.</summary>
    private static string NormaliseDescr(string descr)
    {
        if (descr.Length == 3 && descr[0] == '=' && BitConverter.IsLittleEndian)
            descr = "<" + descr[1..];
        return descr switch
        {
            "<u1" or "u1" => "|u1",
            "<b1" or "b1" or "?" => "|b1",
            _ => descr,
        };
    }

    private static (string Descr, ScalarType DType, Type Clr, int Size) TypeOf(Type clr)
    {
        var type = Types.FirstOrDefault(t => t.Clr == clr);
        return type.Descr is null
            ? throw new NotSupportedException($".npy arrays of {clr.Name} are not supported (float, double, long, int, byte, bool are)")
            : type;
    }

    private static int ElementSize(ScalarType type) => Types.First(t => t.DType == type).Size;

    private static InvalidDataException Truncated(string path, NpyHeader header, long fileLength)
    {
        long needed = header.DataOffset + header.ElementCount * ElementSize(header.DType);
        return new InvalidDataException($"{path}: truncated: '{header.Descr}' [{string.Join(", ", header.Shape)}] needs {needed} bytes, the file has {fileLength}");
    }

    /// <summary>Hands the bytes of a contiguous 1-D CPU tensor to <paramref name="action"/> in spans below 2 GiB.</summary>
    private static void CopyChunks(Tensor flat, int elementSize, SpanAction action)
    {
        long count = flat.shape[0];
        long perChunk = CopyChunkBytes / elementSize;
        for (long start = 0; start < count; start += perChunk)
        {
            using var part = flat.narrow(0, start, Math.Min(perChunk, count - start));
            action(part.bytes);
        }
    }

    private delegate void SpanAction(Span<byte> span);
}
