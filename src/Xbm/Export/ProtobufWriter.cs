using System.Buffers.Binary;
using System.Text;

namespace Xbm.Export;

/// <summary>
/// A writer of the protobuf wire format into a growing buffer: varint fields, fixed 32-bit floats, and
/// length-delimited strings, bytes and embedded messages (written by a nested writer). Only what writing an ONNX
/// model needs; the field numbers are onnx.proto's, the ones <see cref="IO.Onnx.OnnxModel"/> reads.
/// </summary>
internal sealed class ProtobufWriter
{
    private readonly MemoryStream buffer = new();

    /// <summary>Bytes written so far.</summary>
    public long Length => buffer.Length;

    /// <summary>Writes a varint field (wire type 0); negative values take ten bytes, as protobuf's int64.</summary>
    public void Varint(int field, long value)
    {
        Key(field, 0);
        RawVarint((ulong)value);
    }

    /// <summary>Writes a 32-bit float field (wire type 5).</summary>
    public void Float(int field, float value)
    {
        Key(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
    }

    /// <summary>Writes a UTF-8 string field (wire type 2).</summary>
    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a bytes field (wire type 2).</summary>
    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, 2);
        RawVarint((ulong)value.Length);
        buffer.Write(value);
    }

    /// <summary>Writes an embedded message (wire type 2) that <paramref name="write"/> fills.</summary>
    public void Message(int field, Action<ProtobufWriter> write)
    {
        var nested = new ProtobufWriter();
        write(nested);
        Key(field, 2);
        RawVarint((ulong)nested.buffer.Length);
        nested.buffer.Position = 0;
        nested.buffer.CopyTo(buffer);
    }

    /// <summary>Copies the bytes written to <paramref name="stream"/>.</summary>
    public void CopyTo(Stream stream)
    {
        buffer.Position = 0;
        buffer.CopyTo(stream);
        buffer.Position = buffer.Length;
    }

    /// <summary>The bytes written.</summary>
    public byte[] ToArray() => buffer.ToArray();

    private void Key(int field, int wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.WriteByte((byte)value);
    }
}
