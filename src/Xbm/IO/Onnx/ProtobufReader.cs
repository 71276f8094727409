using System.Buffers.Binary;
using System.Text;

namespace Xbm.IO.Onnx;

/// <summary>
/// A reader of the protobuf wire format over a byte buffer: field keys, varints, fixed 32/64-bit values and
/// length-delimited payloads (strings, bytes, embedded messages, packed repeated scalars). Only what reading an
/// ONNX model needs; every error names <see cref="Source"/> (the file) and the message being read.
/// </summary>
internal sealed class ProtobufReader
{
    private readonly ReadOnlyMemory<byte> buffer;
    private int position;

    /// <summary>A reader over <paramref name="buffer"/>; <paramref name="source"/> and <paramref name="message"/> name it in errors.</summary>
    public ProtobufReader(ReadOnlyMemory<byte> buffer, string source, string message)
    {
        this.buffer = buffer;
        Source = source;
        Message = message;
    }

    /// <summary>The file being read (for error messages).</summary>
    public string Source { get; }

    /// <summary>The message type being read, e.g. "GraphProto" (for error messages).</summary>
    public string Message { get; }

    /// <summary>True while fields remain.</summary>
    public bool HasMore => position < buffer.Length;

    /// <summary>Reads the next field key: its number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).</summary>
    public (int Field, int WireType) ReadKey()
    {
        ulong key = ReadVarint();
        int field = (int)(key >> 3);
        int wire = (int)(key & 7);
        if (field == 0 || wire is 3 or 4 or 6 or 7)
            throw Error($"field key {key} (field {field}, wire type {wire}) is not valid protobuf");
        return (field, wire);
    }

    /// <summary>Reads a base-128 varint.</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        var span = buffer.Span;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= span.Length)
                throw Error("ends inside a varint");
            byte b = span[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return result;
        }
        throw Error("has a varint longer than 10 bytes");
    }

    /// <summary>Reads a varint as a signed 64-bit integer (two's complement, as protobuf's int64).</summary>
    public long ReadInt64() => unchecked((long)ReadVarint());

    /// <summary>Reads a little-endian 32-bit float (wire type 5).</summary>
    public float ReadFloat()
    {
        var bytes = Take(4);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes.Span);
    }

    /// <summary>Reads a length-delimited payload.</summary>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(buffer.Length - position))
            throw Error($"has a field of {length} bytes at offset {position}, beyond the {buffer.Length - position} bytes left");
        return Take((int)length);
    }

    /// <summary>Reads a length-delimited UTF-8 string.</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadBytes().Span);

    /// <summary>Reads an embedded message as a new reader.</summary>
    public ProtobufReader ReadMessage(string message) => new(ReadBytes(), Source, message);

    /// <summary>Reads a repeated int64 field, packed (wire type 2) or not (wire type 0), appending to <paramref name="values"/>.</summary>
    public void ReadInt64s(int wireType, List<long> values)
    {
        if (wireType == 0)
        {
            values.Add(ReadInt64());
            return;
        }
        var packed = ReadMessage(Message);
        while (packed.HasMore)
            values.Add(packed.ReadInt64());
    }

    /// <summary>Reads a repeated float field, packed (wire type 2) or not (wire type 5), appending to <paramref name="values"/>.</summary>
    public void ReadFloats(int wireType, List<float> values)
    {
        if (wireType == 5)
        {
            values.Add(ReadFloat());
            return;
        }
        var bytes = ReadBytes().Span;
        if (bytes.Length % 4 != 0)
            throw Error($"has a packed float field of {bytes.Length} bytes, not a multiple of 4");
        for (int i = 0; i < bytes.Length; i += 4)
            values.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]));
    }

    /// <summary>Skips a field of the given wire type.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Take(8); break;
            case 2: ReadBytes(); break;
            case 5: Take(4); break;
            default: throw Error($"has wire type {wireType}, which cannot be skipped");
        }
    }

    /// <summary>Checks that a field has the expected wire type.</summary>
    public void Expect(int field, int wireType, params int[] allowed)
    {
        if (!allowed.Contains(wireType))
            throw Error($"field {field} has wire type {wireType}, expected {string.Join(" or ", allowed)}");
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the file and the message.</summary>
    public InvalidDataException Error(string what) => new($"{Source}: is not a valid ONNX model: {Message} {what}");

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > buffer.Length - position)
            throw Error($"ends after {buffer.Length - position} bytes where {count} were expected");
        var slice = buffer.Slice(position, count);
        position += count;
        return slice;
    }
}
