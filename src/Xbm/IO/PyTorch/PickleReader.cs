using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Xbm.IO.PyTorch;

/// <summary>
/// Reads one Python pickle (protocols 0–5, the opcodes that torch.save writes for state dicts and checkpoint
/// dictionaries) into plain data: null, bool, long (or <see cref="BigInteger"/>), double, string, byte[], tuples as
/// object?[], lists as <see cref="List{T}"/>, dicts and collections.OrderedDict as
/// <see cref="Dictionary{TKey, TValue}"/> (insertion order), and every other call as a <see cref="PickleObject"/>.
/// Nothing is imported or executed. Persistent ids (torch's storages) go to the caller's function.
/// </summary>
internal sealed class PickleReader
{
    private readonly BinaryReader input;
    private readonly string path;
    private readonly Func<object?, object?> persistentLoad;
    private readonly List<object?> stack = [];
    private readonly Stack<int> marks = new();
    private readonly Dictionary<long, object?> memo = [];

    /// <summary>Reads from <paramref name="input"/>'s position; <paramref name="path"/> names the file in errors.</summary>
    public PickleReader(BinaryReader input, string path, Func<object?, object?> persistentLoad)
    {
        this.input = input;
        this.path = path;
        this.persistentLoad = persistentLoad;
    }

    /// <summary>Reads up to and including the STOP opcode and returns the pickled value.</summary>
    public object? Load()
    {
        stack.Clear();
        marks.Clear();
        memo.Clear();
        while (true)
        {
            long at = input.BaseStream.Position;
            byte op = input.ReadByte();
            switch (op)
            {
                case 0x80: input.ReadByte(); break; // PROTO
                case 0x95: input.ReadInt64(); break; // FRAME
                case (byte)'.': return Pop(at); // STOP
                case (byte)'(': marks.Push(stack.Count); break; // MARK
                case (byte)')': stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': stack.Add(PopMark(at).ToArray()); break; // TUPLE
                case 0x85: stack.Add(new[] { Pop(at) }); break; // TUPLE1
                case 0x86: { var b = Pop(at); var a = Pop(at); stack.Add(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); stack.Add(new[] { a, b, c }); break; } // TUPLE3
                case (byte)']': stack.Add(new List<object?>()); break; // EMPTY_LIST
                case (byte)'l': stack.Add(PopMark(at)); break; // LIST
                case (byte)'a': { var v = Pop(at); List(Top(at), at).Add(v); break; } // APPEND
                case (byte)'e': { var items = PopMark(at); List(Top(at), at).AddRange(items); break; } // APPENDS
                case (byte)'}': stack.Add(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)'d': { var items = PopMark(at); var d = new Dictionary<object, object?>(); SetItems(d, items, at); stack.Add(d); break; } // DICT
                case (byte)'s': { var v = Pop(at); var k = Pop(at); SetItems(Dict(Top(at), at), [k, v], at); break; } // SETITEM
                case (byte)'u': { var items = PopMark(at); SetItems(Dict(Top(at), at), items, at); break; } // SETITEMS
                case (byte)'N': stack.Add(null); break; // NONE
                case 0x88: stack.Add(true); break; // NEWTRUE
                case 0x89: stack.Add(false); break; // NEWFALSE
                case (byte)'J': stack.Add((long)input.ReadInt32()); break; // BININT
                case (byte)'K': stack.Add((long)input.ReadByte()); break; // BININT1
                case (byte)'M': stack.Add((long)input.ReadUInt16()); break; // BININT2
                case 0x8a: stack.Add(Long(input.ReadByte(), at)); break; // LONG1
                case 0x8b: stack.Add(Long(input.ReadInt32(), at)); break; // LONG4
                case (byte)'I': stack.Add(IntLine(at)); break; // INT (protocol 0; "00"/"01" are False/True)
                case (byte)'L': stack.Add(long.Parse(Line().TrimEnd('L'), System.Globalization.CultureInfo.InvariantCulture)); break; // LONG (protocol 0)
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8, at))); break; // BINFLOAT
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Bytes(input.ReadUInt32(), at))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Bytes(input.ReadByte(), at))); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Bytes(input.ReadUInt64(), at))); break; // BINUNICODE8
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Bytes(input.ReadUInt32(), at))); break; // BINSTRING (Python 2 str)
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Bytes(input.ReadByte(), at))); break; // SHORT_BINSTRING
                case (byte)'B': stack.Add(Bytes(input.ReadUInt32(), at)); break; // BINBYTES
                case (byte)'C': stack.Add(Bytes(input.ReadByte(), at)); break; // SHORT_BINBYTES
                case 0x8e: stack.Add(Bytes(input.ReadUInt64(), at)); break; // BINBYTES8
                case (byte)'c': { string module = Line(); stack.Add(new PickleGlobal(module, Line())); break; } // GLOBAL
                case 0x93: { var name = Pop(at); var module = Pop(at); stack.Add(new PickleGlobal(Text(module, at), Text(name, at))); break; } // STACK_GLOBAL
                case (byte)'R': { var args = Pop(at); var callable = Pop(at); stack.Add(Call(callable, args, at)); break; } // REDUCE
                case 0x81: { var args = Pop(at); var cls = Pop(at); stack.Add(Call(cls, args, at)); break; } // NEWOBJ
                case (byte)'b': { var state = Pop(at); if (Top(at) is PickleObject o) o.State = state; break; } // BUILD (a dict's attributes, e.g. _metadata, are dropped)
                case (byte)'Q': stack.Add(persistentLoad(Pop(at))); break; // BINPERSID
                case (byte)'q': memo[input.ReadByte()] = Top(at); break; // BINPUT
                case (byte)'r': memo[input.ReadUInt32()] = Top(at); break; // LONG_BINPUT
                case (byte)'p': memo[long.Parse(Line(), System.Globalization.CultureInfo.InvariantCulture)] = Top(at); break; // PUT
                case 0x94: memo[memo.Count] = Top(at); break; // MEMOIZE
                case (byte)'h': stack.Add(Get(input.ReadByte(), at)); break; // BINGET
                case (byte)'j': stack.Add(Get(input.ReadUInt32(), at)); break; // LONG_BINGET
                case (byte)'g': stack.Add(Get(long.Parse(Line(), System.Globalization.CultureInfo.InvariantCulture), at)); break; // GET
                case (byte)'0': Pop(at); break; // POP
                case (byte)'1': PopMark(at); break; // POP_MARK
                case (byte)'2': stack.Add(Top(at)); break; // DUP
                default:
                    throw Error($"unsupported pickle opcode 0x{op:x2}", at);
            }
        }
    }

    private object Call(object? callable, object? args, long at) => callable switch
    {
        PickleGlobal { Module: "collections", Name: "OrderedDict" } => new Dictionary<object, object?>(),
        PickleGlobal g => new PickleObject(g, args as object?[] ?? [args]),
        _ => throw Error($"REDUCE on {callable?.GetType().Name ?? "None"}, not on a class or function", at),
    };

    private void SetItems(Dictionary<object, object?> dict, List<object?> items, long at)
    {
        if (items.Count % 2 != 0)
            throw Error("odd number of items for a dictionary", at);
        for (int i = 0; i < items.Count; i += 2)
        {
            object key = items[i] switch
            {
                null => throw Error("a dictionary key is None", at),
                object[] tuple => string.Join(",", tuple), // tuple keys (rare) become text
                var k => k,
            };
            dict[key] = items[i + 1];
        }
    }

    private object Long(int length, long at)
    {
        if (length < 0)
            throw Error($"negative length {length}", at);
        byte[] bytes = Bytes((ulong)length, at);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private object IntLine(long at)
    {
        string line = Line();
        return line switch
        {
            "00" => false,
            "01" => true,
            _ => long.TryParse(line, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v : throw Error($"bad INT '{line}'", at),
        };
    }

    private byte[] Bytes(ulong count, long at)
    {
        long left = input.BaseStream.Length - input.BaseStream.Position;
        if (count > (ulong)Math.Max(left, 0))
            throw new EndOfStreamException($"{path}: pickle offset {at}: {count} bytes announced, {left} left in the file");
        return input.ReadBytes((int)count);
    }

    private string Line()
    {
        var text = new StringBuilder();
        for (byte b = input.ReadByte(); b != (byte)'\n'; b = input.ReadByte())
        {
            if (text.Length > 1000)
                throw new InvalidDataException($"{path}: a pickle text line longer than 1000 bytes");
            text.Append((char)b);
        }
        return text.ToString().TrimEnd('\r');
    }

    private string Text(object? value, long at) => value as string ?? throw Error($"expected a string, found {value?.GetType().Name ?? "None"}", at);

    private List<object?> List(object? value, long at) => value as List<object?> ?? throw Error($"APPEND to {value?.GetType().Name ?? "None"}, not a list", at);

    private Dictionary<object, object?> Dict(object? value, long at) => value as Dictionary<object, object?> ?? throw Error($"SETITEM on {value?.GetType().Name ?? "None"}, not a dictionary", at);

    private object? Get(long index, long at) => memo.TryGetValue(index, out var v) ? v : throw Error($"memo entry {index} was never stored", at);

    private object? Top(long at) => stack.Count > 0 ? stack[^1] : throw Error("stack underflow", at);

    private object? Pop(long at)
    {
        if (stack.Count == 0 || (marks.Count > 0 && marks.Peek() == stack.Count))
            throw Error("stack underflow", at);
        var v = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    private List<object?> PopMark(long at)
    {
        if (marks.Count == 0)
            throw Error("no MARK", at);
        int start = marks.Pop();
        var items = stack.GetRange(start, stack.Count - start);
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    private InvalidDataException Error(string message, long at) => new($"{path}: pickle offset {at}: {message}");
}
