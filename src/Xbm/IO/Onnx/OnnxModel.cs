using System.Buffers.Binary;

namespace Xbm.IO.Onnx;

/// <summary>
/// An ONNX model read without the ONNX or protobuf libraries: the fields of ModelProto, GraphProto, NodeProto,
/// AttributeProto, TensorProto and ValueInfoProto that describe a feed-forward network and its float32 weights
/// (<c>onnx.proto</c>, IR version 3 and later). Other fields are skipped. Errors name the file and the part of
/// the model that is wrong.
/// </summary>
public sealed class OnnxModel
{
    private const string Expected = "an ONNX model (.onnx)";

    private OnnxModel(string source) => Source = source;

    /// <summary>The file the model was read from.</summary>
    public string Source { get; }

    /// <summary>The ONNX IR version (ModelProto.ir_version).</summary>
    public long IrVersion { get; private set; }

    /// <summary>The tool that wrote the model, e.g. "CNTK" (ModelProto.producer_name).</summary>
    public string Producer { get; private set; } = "";

    /// <summary>The producer's version, e.g. "2.6".</summary>
    public string ProducerVersion { get; private set; } = "";

    /// <summary>The operator set versions by domain ("" is the default ONNX domain).</summary>
    public IReadOnlyDictionary<string, long> OpsetVersions => opsets;

    /// <summary>The graph's name.</summary>
    public string GraphName { get; private set; } = "";

    /// <summary>The nodes in file order (ONNX requires a topological order).</summary>
    public IReadOnlyList<OnnxNode> Nodes => nodes;

    /// <summary>The float32 initializers (weights) by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers => initializers;

    /// <summary>The graph inputs that are not initializers (the data the network takes).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs => inputs.Where(i => !initializers.ContainsKey(i.Name)).ToList();

    /// <summary>The graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs => outputs;

    private readonly Dictionary<string, long> opsets = new(StringComparer.Ordinal);
    private readonly List<OnnxNode> nodes = [];
    private readonly Dictionary<string, OnnxTensor> initializers = new(StringComparer.Ordinal);
    private readonly List<OnnxValueInfo> inputs = [];
    private readonly List<OnnxValueInfo> outputs = [];

    /// <summary>Reads the model in <paramref name="path"/>. Throws <see cref="InvalidDataException"/> naming the file when it is not a readable ONNX model.</summary>
    public static OnnxModel Load(string path)
    {
        byte[] bytes;
        using (var stream = InputFile.OpenRead(path, Expected))
        {
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        var model = new OnnxModel(path);
        model.ReadModel(new ProtobufReader(bytes, path, "ModelProto"));
        return model;
    }

    private void ReadModel(ProtobufReader r)
    {
        bool hasGraph = false;
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(field, wire, 0); IrVersion = r.ReadInt64(); break;
                case 2: r.Expect(field, wire, 2); Producer = r.ReadString(); break;
                case 3: r.Expect(field, wire, 2); ProducerVersion = r.ReadString(); break;
                case 7: r.Expect(field, wire, 2); ReadGraph(r.ReadMessage("GraphProto")); hasGraph = true; break;
                case 8: r.Expect(field, wire, 2); ReadOpset(r.ReadMessage("OperatorSetIdProto")); break;
                default: r.Skip(wire); break;
            }
        }
        if (!hasGraph)
            throw r.Error("has no graph (field 7)");
        if (IrVersion < 3)
            throw r.Error($"has IR version {IrVersion}; versions 3 and later are read");
    }

    private void ReadOpset(ProtobufReader r)
    {
        string domain = "";
        long version = 0;
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            if (field == 1 && wire == 2) domain = r.ReadString();
            else if (field == 2 && wire == 0) version = r.ReadInt64();
            else r.Skip(wire);
        }
        opsets[domain] = version;
    }

    private void ReadGraph(ProtobufReader r)
    {
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(field, wire, 2); nodes.Add(ReadNode(r.ReadMessage($"NodeProto #{nodes.Count}"))); break;
                case 2: r.Expect(field, wire, 2); GraphName = r.ReadString(); break;
                case 5:
                    r.Expect(field, wire, 2);
                    var t = ReadTensor(r.ReadMessage($"TensorProto (initializer #{initializers.Count})"));
                    if (!initializers.TryAdd(t.Name, t))
                        throw r.Error($"has two initializers named '{t.Name}'");
                    break;
                case 11: r.Expect(field, wire, 2); inputs.Add(ReadValueInfo(r.ReadMessage("ValueInfoProto (graph input)"))); break;
                case 12: r.Expect(field, wire, 2); outputs.Add(ReadValueInfo(r.ReadMessage("ValueInfoProto (graph output)"))); break;
                default: r.Skip(wire); break;
            }
        }
    }

    private static OnnxNode ReadNode(ProtobufReader r)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", op = "";
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(field, wire, 2); inputs.Add(r.ReadString()); break;
                case 2: r.Expect(field, wire, 2); outputs.Add(r.ReadString()); break;
                case 3: r.Expect(field, wire, 2); name = r.ReadString(); break;
                case 4: r.Expect(field, wire, 2); op = r.ReadString(); break;
                case 5:
                    r.Expect(field, wire, 2);
                    var a = ReadAttribute(r.ReadMessage($"AttributeProto of {(name.Length > 0 ? name : "a node")}"));
                    attributes[a.Name] = a;
                    break;
                default: r.Skip(wire); break;
            }
        }
        if (op.Length == 0)
            throw r.Error("has no op_type");
        return new OnnxNode(op, name, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ProtobufReader r)
    {
        string name = "";
        long? i = null;
        float? f = null;
        string? s = null;
        var ints = new List<long>();
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(field, wire, 2); name = r.ReadString(); break;
                case 2: r.Expect(field, wire, 5); f = r.ReadFloat(); break;
                case 3: r.Expect(field, wire, 0); i = r.ReadInt64(); break;
                case 4: r.Expect(field, wire, 2); s = r.ReadString(); break;
                case 8: r.Expect(field, wire, 0, 2); r.ReadInt64s(wire, ints); break;
                default: r.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, i, f, s, ints);
    }

    private static OnnxTensor ReadTensor(ProtobufReader r)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        ReadOnlyMemory<byte>? raw = null;
        long dataType = 0;
        string name = "";
        bool external = false;
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            switch (field)
            {
                case 1: r.Expect(field, wire, 0, 2); r.ReadInt64s(wire, dims); break;
                case 2: r.Expect(field, wire, 0); dataType = r.ReadInt64(); break;
                case 4: r.Expect(field, wire, 2, 5); r.ReadFloats(wire, floats); break;
                case 8: r.Expect(field, wire, 2); name = r.ReadString(); break;
                case 9: r.Expect(field, wire, 2); raw = r.ReadBytes(); break;
                case 13: external = true; r.Skip(wire); break;
                case 14: r.Expect(field, wire, 0); external |= r.ReadInt64() == 1; break;
                default: r.Skip(wire); break;
            }
        }
        if (external)
            throw r.Error($"initializer '{name}' keeps its data in an external file, which is not supported");
        if (dataType != 1)
            throw r.Error($"initializer '{name}' has data type {dataType}; only FLOAT (1) is read");
        long count = dims.Aggregate(1L, (a, b) => a * b);
        float[] values;
        if (raw is { } bytes)
        {
            if (bytes.Length != count * 4)
                throw r.Error($"initializer '{name}' [{string.Join(", ", dims)}] needs {count * 4} bytes of raw_data, has {bytes.Length}");
            values = new float[count];
            var span = bytes.Span;
            for (int k = 0; k < values.Length; k++)
                values[k] = BinaryPrimitives.ReadSingleLittleEndian(span[(k * 4)..]);
        }
        else
        {
            if (floats.Count != count)
                throw r.Error($"initializer '{name}' [{string.Join(", ", dims)}] needs {count} values, float_data has {floats.Count}");
            values = floats.ToArray();
        }
        return new OnnxTensor(name, dims.ToArray(), values);
    }

    private static OnnxValueInfo ReadValueInfo(ProtobufReader r)
    {
        string name = "";
        var shape = new List<long>();
        while (r.HasMore)
        {
            var (field, wire) = r.ReadKey();
            if (field == 1 && wire == 2)
                name = r.ReadString();
            else if (field == 2 && wire == 2)
                ReadTypeShape(r.ReadMessage("TypeProto"), shape);
            else
                r.Skip(wire);
        }
        return new OnnxValueInfo(name, shape);
    }

    // TypeProto.tensor_type (1) → TypeProto.Tensor.shape (2) → TensorShapeProto.dim (1) → dim_value (1) | dim_param (2).
    private static void ReadTypeShape(ProtobufReader type, List<long> shape)
    {
        while (type.HasMore)
        {
            var (f1, w1) = type.ReadKey();
            if (f1 != 1 || w1 != 2) { type.Skip(w1); continue; }
            var tensorType = type.ReadMessage("TypeProto.Tensor");
            while (tensorType.HasMore)
            {
                var (f2, w2) = tensorType.ReadKey();
                if (f2 != 2 || w2 != 2) { tensorType.Skip(w2); continue; }
                var shapeProto = tensorType.ReadMessage("TensorShapeProto");
                while (shapeProto.HasMore)
                {
                    var (f3, w3) = shapeProto.ReadKey();
                    if (f3 != 1 || w3 != 2) { shapeProto.Skip(w3); continue; }
                    var dim = shapeProto.ReadMessage("TensorShapeProto.Dimension");
                    long value = -1;
                    while (dim.HasMore)
                    {
                        var (f4, w4) = dim.ReadKey();
                        if (f4 == 1 && w4 == 0) value = dim.ReadInt64();
                        else dim.Skip(w4);
                    }
                    shape.Add(value);
                }
            }
        }
    }
}
