using System.Runtime.InteropServices;

namespace Xbm.Export;

/// <summary>
/// Serialises an exported graph as an ONNX ModelProto (onnx.proto's field numbers, the ones the reader in
/// <c>IO/Onnx</c> uses): IR version 8, the default operator set at <see cref="Opset"/>, the graph (operators,
/// constants as raw little-endian data, inputs and outputs with their symbolic dimensions) and the metadata
/// properties. Written by hand, like the reader: the library carries no protobuf runtime (docs/design.md §9).
/// </summary>
internal static class OnnxWriter
{
    /// <summary>The operator set of the default domain the exported graphs use (ONNX Runtime 1.32 runs 7 to 23).</summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with <see cref="Opset"/>.</summary>
    public const int IrVersion = 8;

    /// <summary>The model's bytes.</summary>
    public static byte[] Serialize(OnnxGraphBuilder graph, string graphName, IReadOnlyList<KeyValuePair<string, string>> metadata, string producerVersion)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("the ONNX writer stores raw tensor data little-endian and needs a little-endian machine");
        var model = new ProtobufWriter();
        model.Varint(1, IrVersion);
        model.String(2, "xbm");
        model.String(3, producerVersion);
        model.Message(7, g => WriteGraph(g, graph, graphName));
        model.Message(8, o =>
        {
            o.String(1, "");
            o.Varint(2, Opset);
        });
        foreach (var (key, value) in metadata)
            model.Message(14, m =>
            {
                m.String(1, key);
                m.String(2, value);
            });
        return model.ToArray();
    }

    private static void WriteGraph(ProtobufWriter g, OnnxGraphBuilder graph, string name)
    {
        foreach (var node in graph.Nodes)
            g.Message(1, n => WriteNode(n, node));
        g.String(2, name);
        foreach (var tensor in graph.Initializers)
            g.Message(5, t => WriteTensor(t, tensor));
        foreach (var input in graph.Inputs)
            g.Message(11, v => WriteValue(v, input));
        foreach (var output in graph.Outputs)
            g.Message(12, v => WriteValue(v, output));
    }

    private static void WriteNode(ProtobufWriter n, OnnxGraphNode node)
    {
        foreach (string input in node.Inputs)
            n.String(1, input);
        foreach (string output in node.Outputs)
            n.String(2, output);
        n.String(3, node.Name);
        n.String(4, node.OpType);
        foreach (var attribute in node.Attributes)
            n.Message(5, a => WriteAttribute(a, attribute));
    }

    private static void WriteAttribute(ProtobufWriter a, OnnxAttributeValue attribute)
    {
        a.String(1, attribute.Name);
        if (attribute.Float is { } f)
        {
            a.Float(2, f);
            a.Varint(20, 1);
        }
        else if (attribute.Int is { } i)
        {
            a.Varint(3, i);
            a.Varint(20, 2);
        }
        else if (attribute.String is { } s)
        {
            a.String(4, s);
            a.Varint(20, 3);
        }
        else
        {
            foreach (long value in attribute.Ints!)
                a.Varint(8, value);
            a.Varint(20, 7);
        }
    }

    private static void WriteTensor(ProtobufWriter t, OnnxGraphTensor tensor)
    {
        foreach (long dim in tensor.Dims)
            t.Varint(1, dim);
        t.Varint(2, tensor.DataType);
        t.String(8, tensor.Name);
        if (tensor.Floats is { } floats)
            t.Bytes(9, MemoryMarshal.AsBytes(floats.AsSpan()));
        else
            t.Bytes(9, MemoryMarshal.AsBytes(tensor.Longs!.AsSpan()));
    }

    private static void WriteValue(ProtobufWriter v, OnnxGraphValue value)
    {
        v.String(1, value.Name);
        v.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, value.ElementType);
            tensor.Message(2, shape =>
            {
                foreach (var dim in value.Shape)
                    shape.Message(1, d =>
                    {
                        if (dim.Symbol is { } symbol)
                            d.String(2, symbol);
                        else
                            d.Varint(1, dim.Size);
                    });
            });
        }));
    }
}
