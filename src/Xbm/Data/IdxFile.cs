using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Xbm.Data;

/// <summary>The contents of an IDX file: its dimensions and its unsigned-byte values in row-major order.</summary>
/// <param name="Path">The file read.</param>
/// <param name="Dimensions">The sizes of each dimension, outermost first.</param>
/// <param name="Data">The values, row-major.</param>
public sealed record IdxArray(string Path, IReadOnlyList<int> Dimensions, byte[] Data);

/// <summary>
/// Reader for IDX files as used by MNIST and Fashion-MNIST, gzip-compressed or plain (recognised by the gzip
/// magic bytes, whatever the file name). Layout, big-endian: two zero bytes, a type byte (0x08 = unsigned
/// byte, the only type supported here), a dimension-count byte, one 32-bit size per dimension, then the
/// values. The header is validated and the payload must hold exactly the promised number of bytes; every
/// error names the file and what is wrong.
/// </summary>
public static class IdxFile
{
    /// <summary>Magic number of a uint8 label file (one dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Magic number of a uint8 image file (three dimensions: count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;

    private const byte UnsignedByte = 0x08;

    /// <summary>Reads a uint8 label file (magic 0x00000801).</summary>
    public static IdxArray ReadLabels(string path) => Read(path, LabelsMagic);

    /// <summary>Reads a uint8 image file (magic 0x00000803).</summary>
    public static IdxArray ReadImages(string path) => Read(path, ImagesMagic);

    /// <summary>
    /// Reads a uint8 IDX file. With <paramref name="expectedMagic"/> the file must carry exactly that magic
    /// number (e.g. <see cref="ImagesMagic"/>); otherwise any uint8 IDX file with 1 to 255 dimensions is read.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid uint8 IDX file (the message says why).</exception>
    public static IdxArray Read(string path, int? expectedMagic = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: file not found", path);
        byte[] raw = Decompress(path);

        if (raw.Length < 4)
            throw new InvalidDataException($"{path}: truncated: {raw.Length} bytes, too short for an IDX header (at least 4)");
        int magic = BinaryPrimitives.ReadInt32BigEndian(raw);
        if (expectedMagic is int expected && magic != expected)
            throw new InvalidDataException($"{path}: wrong magic number 0x{magic:X8}, expected 0x{expected:X8} ({Describe(expected)})");
        if (raw[0] != 0 || raw[1] != 0)
            throw new InvalidDataException($"{path}: wrong magic number 0x{magic:X8}: not an IDX file (the first two bytes must be zero)");
        if (raw[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: unsupported IDX data type 0x{raw[2]:X2} (only unsigned byte, 0x08, is supported)");
        int rank = raw[3];
        if (rank == 0)
            throw new InvalidDataException($"{path}: the IDX header declares zero dimensions");

        int headerLength = 4 + 4 * rank;
        if (raw.Length < headerLength)
            throw new InvalidDataException($"{path}: truncated: the header declares {rank} dimensions ({headerLength} header bytes), found {raw.Length} bytes");
        var dims = new int[rank];
        long promised = 1;
        for (int i = 0; i < rank; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 + 4 * i));
            if (size > int.MaxValue)
                throw new InvalidDataException($"{path}: dimension {i} has an implausible size {size}");
            dims[i] = (int)size;
            promised *= size;
            if (promised > Array.MaxLength)
                throw new InvalidDataException($"{path}: the header promises more than {Array.MaxLength} bytes ({Shape(dims, i + 1)}…)");
        }

        long found = raw.Length - headerLength;
        if (found < promised)
            throw new InvalidDataException($"{path}: truncated: header promises {Shape(dims, rank)} bytes, found {found}");
        if (found > promised)
            throw new InvalidDataException($"{path}: {found - promised} trailing bytes: header promises {Shape(dims, rank)} bytes, found {found}");

        byte[] data = raw.AsSpan(headerLength).ToArray();
        return new IdxArray(path, dims, data);
    }

    private static byte[] Decompress(string path)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        if (!gzip)
        {
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return bytes;
        }
        try
        {
            using var inflate = new GZipStream(file, CompressionMode.Decompress);
            using var buffer = new MemoryStream(capacity: (int)Math.Min(int.MaxValue / 2, file.Length * 2));
            inflate.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{path}: corrupt or truncated gzip stream: {e.Message}", e);
        }
    }

    private static string Describe(int magic) => magic switch
    {
        LabelsMagic => "uint8 labels, 1 dimension",
        ImagesMagic => "uint8 images, 3 dimensions",
        _ => $"uint8, {magic & 0xFF} dimensions",
    };

    private static string Shape(int[] dims, int count)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
                text.Append('×');
            text.Append(dims[i]);
        }
        return text.ToString();
    }
}
