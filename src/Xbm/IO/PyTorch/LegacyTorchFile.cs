using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Xbm.IO.PyTorch;

/// <summary>
/// Reads torch.save's legacy format (<c>_use_new_zipfile_serialization=False</c>, the only format before PyTorch
/// 1.6), which TorchSharp.PyBridge does not read. The file is five pickles and the raw storages, one after another:
/// the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, the system info (little_endian, type sizes),
/// the object itself with each tensor storage as a persistent id ("storage", type, key, location, numel,
/// view metadata), the sorted list of storage keys, then per key an int64 element count and the elements,
/// little-endian. Tensors are <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)</c> calls, which
/// become tensors here; every other object stays plain data (<see cref="PickleReader"/>).
/// </summary>
internal static class LegacyTorchFile
{
    private static readonly BigInteger Magic = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);
    private const long ProtocolVersion = 1001;

    private sealed record Storage(string Key, ScalarType DType, int ElementSize, long Count);

    /// <summary>True when the file starts like a legacy torch.save file (a pickle's PROTO opcode).</summary>
    public static bool Looks(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x80 && head[1] <= 5;

    /// <summary>Reads the whole file: the saved object with every tensor on the CPU (the caller owns them).</summary>
    public static object? Read(string path)
    {
        using var stream = InputFile.OpenRead(path, "a PyTorch checkpoint (.pth)");
        using var input = new BinaryReader(new BufferedStream(stream, 1 << 16));
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        object? root;
        try
        {
            object? magic = new PickleReader(input, path, NoPersistentIds(path)).Load();
            if (magic is not BigInteger b || b != Magic) // the magic number exceeds a long, so the reader gives a BigInteger
                throw new InvalidDataException($"{path}: not a PyTorch checkpoint (a pickle, but without torch.save's magic number)");
            object? protocol = new PickleReader(input, path, NoPersistentIds(path)).Load();
            if (protocol is not long p || p != ProtocolVersion)
                throw new InvalidDataException($"{path}: legacy torch.save protocol {protocol ?? "None"}, expected {ProtocolVersion}");
            if (new PickleReader(input, path, NoPersistentIds(path)).Load() is not Dictionary<object, object?> info
                || !info.TryGetValue("little_endian", out var little) || little is not true)
                throw new InvalidDataException($"{path}: written on a big-endian machine (or without system info); only little-endian files are read");
            root = new PickleReader(input, path, id => StorageOf(id, storages, path)).Load();
            if (new PickleReader(input, path, NoPersistentIds(path)).Load() is not List<object?> keys)
                throw new InvalidDataException($"{path}: the list of storage keys is missing after the pickled object");
            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (object? key in keys)
            {
                string k = key as string ?? throw new InvalidDataException($"{path}: a storage key is {key?.GetType().Name ?? "None"}, not a string");
                if (!storages.TryGetValue(k, out var storage))
                    throw new InvalidDataException($"{path}: storage '{k}' is listed but no tensor uses it");
                data[k] = ReadStorage(input, storage, path);
            }
            return Materialize(root, data, storages, path, "");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated: the file ends at byte {stream.Length} inside the legacy torch.save data ({e.Message})", e);
        }
    }

    private static Func<object?, object?> NoPersistentIds(string path) =>
        _ => throw new InvalidDataException($"{path}: a persistent id outside the pickled object; not a torch.save file");

    private static Storage StorageOf(object? id, Dictionary<string, Storage> storages, string path)
    {
        if (id is not object?[] { Length: >= 5 } t || t[0] is not "storage" || t[1] is not PickleGlobal type || t[2] is not string key || t[4] is not long count)
            throw new InvalidDataException($"{path}: a persistent id that is not a torch storage (\"storage\", type, key, location, size)");
        if (t.Length > 5 && t[5] is not null)
            throw new InvalidDataException($"{path}: storage '{key}' is a view of another storage (PyTorch before 0.4); re-save the file with a current PyTorch");
        var (dtype, size) = DTypeOf(type, path);
        if (count < 0)
            throw new InvalidDataException($"{path}: storage '{key}' has {count} elements");
        if (storages.TryGetValue(key, out var known))
        {
            if (known.DType != dtype || known.Count != count)
                throw new InvalidDataException($"{path}: storage '{key}' is described twice differently");
            return known;
        }
        return storages[key] = new Storage(key, dtype, size, count);
    }

    private static (ScalarType DType, int Size) DTypeOf(PickleGlobal type, string path) => type.Module == "torch" ? type.Name switch
    {
        "FloatStorage" => (ScalarType.Float32, 4),
        "DoubleStorage" => (ScalarType.Float64, 8),
        "HalfStorage" => (ScalarType.Float16, 2),
        "BFloat16Storage" => (ScalarType.BFloat16, 2),
        "LongStorage" => (ScalarType.Int64, 8),
        "IntStorage" => (ScalarType.Int32, 4),
        "ShortStorage" => (ScalarType.Int16, 2),
        "CharStorage" => (ScalarType.Int8, 1),
        "ByteStorage" => (ScalarType.Byte, 1),
        "BoolStorage" => (ScalarType.Bool, 1),
        _ => throw new InvalidDataException($"{path}: unsupported storage type {type}"),
    } : throw new InvalidDataException($"{path}: unsupported storage type {type}");

    private static byte[] ReadStorage(BinaryReader input, Storage storage, string path)
    {
        long count = input.ReadInt64();
        if (count != storage.Count)
            throw new InvalidDataException($"{path}: storage '{storage.Key}' holds {count} elements, its tensors were saved with {storage.Count}");
        long bytes = count * storage.ElementSize;
        if (bytes > Array.MaxLength)
            throw new InvalidDataException($"{path}: storage '{storage.Key}' is {bytes} bytes; storages over 2 GB are not read");
        long left = input.BaseStream.Length - input.BaseStream.Position;
        if (bytes > left)
            throw new EndOfStreamException($"storage '{storage.Key}' needs {bytes} bytes, {left} are left");
        return input.ReadBytes((int)bytes);
    }

    /// <summary>A copy of <paramref name="node"/> with each tensor call replaced by its tensor; <paramref name="where"/> is the key path for errors.</summary>
    private static object? Materialize(object? node, Dictionary<string, byte[]> data, Dictionary<string, Storage> storages, string path, string where)
    {
        switch (node)
        {
            case Dictionary<object, object?> dict:
                var copy = new Dictionary<object, object?>();
                foreach (var (k, v) in dict)
                    copy[k] = Materialize(v, data, storages, path, where.Length == 0 ? $"{k}" : $"{where}/{k}");
                return copy;
            case List<object?> list:
                return list.Select((v, i) => Materialize(v, data, storages, path, $"{where}[{i}]")).ToList();
            case object?[] tuple:
                return tuple.Select((v, i) => Materialize(v, data, storages, path, $"{where}[{i}]")).ToArray();
            case PickleObject { Class: { Module: "torch._utils", Name: "_rebuild_parameter" or "_rebuild_parameter_with_state" } } parameter when parameter.Args.Length > 0:
                return Materialize(parameter.Args[0], data, storages, path, where);
            case PickleObject { Class: { Module: "torch._utils", Name: "_rebuild_tensor_v2" or "_rebuild_tensor" } } tensor:
                return Rebuild(tensor.Args, data, path, where);
            default:
                return node;
        }
    }

    private static Tensor Rebuild(object?[] args, Dictionary<string, byte[]> data, string path, string where)
    {
        if (args.Length < 4 || args[0] is not Storage storage || args[1] is not long offset || args[2] is not object?[] sizeItems || args[3] is not object?[] strideItems
            || sizeItems.Length != strideItems.Length || sizeItems.Concat(strideItems).Any(x => x is not long l || l < 0) || offset < 0)
            throw new InvalidDataException($"{path}: '{where}': a tensor whose storage, offset, size or stride cannot be read");
        long[] size = sizeItems.Cast<long>().ToArray();
        long[] stride = strideItems.Cast<long>().ToArray();
        long last = offset + size.Zip(stride, (n, s) => (n - 1) * s).Sum();
        if (size.All(n => n > 0) && last >= storage.Count)
            throw new InvalidDataException($"{path}: '{where}': shape [{string.Join(", ", size)}] with strides [{string.Join(", ", stride)}] at offset {offset} reaches past its storage of {storage.Count} elements");
        if (!data.TryGetValue(storage.Key, out byte[]? bytes))
            throw new InvalidDataException($"{path}: '{where}': its storage '{storage.Key}' is not in the file");
        using var scope = NewDisposeScope();
        var flat = empty([storage.Count], storage.DType);
        if (bytes.Length > 0)
            flat.bytes = bytes;
        return flat.as_strided(size, stride, offset).clone().MoveToOuterDisposeScope();
    }
}
