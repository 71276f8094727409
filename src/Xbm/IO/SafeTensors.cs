using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.IO;

/// <summary>
/// Reads and writes the .safetensors format: an 8-byte little-endian header length, a JSON header mapping
/// each tensor name to its dtype, shape and byte range, then the raw little-endian tensor bytes.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    private const long MaxHeaderBytes = 100L << 20;

    private const string Expected = "a .safetensors file";

    /// <summary>The format's dtype name for a TorchSharp scalar type.</summary>
    public static string DTypeName(ScalarType type) =>
        DTypes.FirstOrDefault(p => p.Value == type).Key ?? throw new NotSupportedException($"safetensors has no dtype for {type}");

    /// <summary>Writes tensors (any device; copied to the CPU) and optional string metadata atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata)
                meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var (name, tensor) in entries)
        {
            byte[] bytes = ToBytes(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // keep the data 8-byte aligned
        json = json.Concat(Enumerable.Repeat((byte)' ', padding)).ToArray();
        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)json.Length));
            stream.Write(json);
            foreach (var blob in blobs)
                stream.Write(blob);
        });
    }

    /// <summary>Reads every tensor (on the CPU) and the metadata. Errors name the file and the tensor.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        using var stream = InputFile.OpenRead(path, Expected);
        var (entries, metadata, dataStart) = ReadHeader(stream, path);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var entry in entries)
            {
                stream.Position = dataStart + entry.Begin;
                byte[] bytes = new byte[entry.End - entry.Begin];
                stream.ReadExactly(bytes);
                tensors[entry.Name] = FromBytes(bytes, entry.DType, entry.Shape);
            }
        }
        catch
        {
            foreach (var t in tensors.Values)
                t.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>One tensor's description in a file's header.</summary>
    /// <param name="Name">Tensor name.</param>
    /// <param name="DType">The TorchSharp scalar type.</param>
    /// <param name="Shape">The shape.</param>
    /// <param name="Begin">Start of its bytes, relative to the data section.</param>
    /// <param name="End">End (exclusive) of its bytes.</param>
    public sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>Reads only the header: names, dtypes, shapes (for `xbm weights inspect`).</summary>
    public static (List<Entry> Entries, Dictionary<string, string> Metadata) Inspect(string path)
    {
        using var stream = InputFile.OpenRead(path, Expected);
        var (entries, metadata, _) = ReadHeader(stream, path);
        return (entries, metadata);
    }

    private static (List<Entry>, Dictionary<string, string>, long) ReadHeader(Stream stream, string path)
    {
        try
        {
            return ReadHeaderUnchecked(stream, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A JSON value of the wrong kind (a number where a string belongs, ...).
            throw new InvalidDataException($"{path}: is not a safetensors file: its header does not describe tensors ({e.Message})");
        }
    }

    private static (List<Entry>, Dictionary<string, string>, long) ReadHeaderUnchecked(Stream stream, string path)
    {
        var lengthBytes = new byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8)
            throw new InvalidDataException($"{path}: is not a safetensors file: it has {stream.Length} bytes, fewer than the 8 of the header length");
        ulong declared = BitConverter.ToUInt64(lengthBytes);
        if (declared == 0 || declared > (ulong)Math.Min(MaxHeaderBytes, stream.Length - 8))
            throw new InvalidDataException($"{path}: is not a safetensors file: its header length {declared} is impossible for a file of {stream.Length} bytes");
        long headerLength = (long)declared;
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = 8 + headerLength;
        long dataLength = stream.Length - dataStart;

        JsonObject header;
        try
        {
            header = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"{path}: is not a safetensors file: its header is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: is not a safetensors file: its header is not valid JSON ({e.Message})");
        }
        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject())
                    metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var o = node?.AsObject() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no description");
            string dtypeName = o["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no dtype");
            if (!DTypes.TryGetValue(dtypeName, out var dtype))
                throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype '{dtypeName}'");
            long[] shape = o["shape"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no shape");
            var offsets = o["data_offsets"]?.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            if (offsets is not { Length: 2 })
                throw new InvalidDataException($"{path}: tensor '{name}' has no data_offsets pair");
            long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
            if (offsets[1] - offsets[0] != expected || offsets[0] < 0 || offsets[1] > dataLength)
                throw new InvalidDataException($"{path}: tensor '{name}' ({dtypeName} [{string.Join(", ", shape)}]) needs {expected} bytes, its offsets [{offsets[0]}, {offsets[1]}] do not fit the {dataLength} data bytes");
            entries.Add(new Entry(name, dtype, shape, offsets[0], offsets[1]));
        }
        return (entries, metadata, dataStart);
    }

    private static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static byte[] ToBytes(Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        var bytes = new byte[cpu.numel() * ElementSize(cpu.dtype)];
        cpu.bytes.CopyTo(bytes);
        return bytes;
    }

    private static Tensor FromBytes(byte[] bytes, ScalarType dtype, long[] shape)
    {
        var t = empty(shape, dtype: dtype);
        t.bytes = bytes;
        return t;
    }
}
