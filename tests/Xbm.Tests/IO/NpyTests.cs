using System.Text;
using System.Text.Json;
using TorchSharp;
using Xbm.IO;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.IO;

/// <summary>
/// Our .npy reader against files written by numpy (tools/fixtures/make_npy_fixtures.py), and our writer's output
/// byte-identical to numpy's for the same array.
/// </summary>
public sealed class NpyTests : IDisposable
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Npy");
    private readonly string _temp = Path.Combine(Path.GetTempPath(), $"xbm-npy-{Guid.NewGuid():N}");

    public NpyTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static JsonElement Manifest(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.GetProperty(name).Clone();
    }

    public static TheoryData<string> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        var data = new TheoryData<string>();
        foreach (var p in doc.RootElement.EnumerateObject())
            data.Add(p.Name);
        return data;
    }

    private static ScalarType DTypeOf(string descr) => descr switch
    {
        "<f4" => ScalarType.Float32,
        "<f8" => ScalarType.Float64,
        "<i8" => ScalarType.Int64,
        "<i4" => ScalarType.Int32,
        "|u1" => ScalarType.Byte,
        "|b1" => ScalarType.Bool,
        _ => throw new ArgumentException(descr),
    };

    private static double[] ExpectedValues(JsonElement c) =>
        c.GetProperty("values").EnumerateArray().Select(v => v.ValueKind switch
        {
            JsonValueKind.True => 1.0,
            JsonValueKind.False => 0.0,
            _ => v.GetDouble(),
        }).ToArray();

    private static double[] Values(Tensor t)
    {
        using var flat = t.reshape(-1).to(ScalarType.Float64);
        return flat.data<double>().ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReadsNumpyWrittenFiles(string name)
    {
        var c = Manifest(name);
        string path = Path.Combine(Folder, name + ".npy");
        var header = Npy.ReadHeader(path);
        long[] shape = c.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        int[] version = c.GetProperty("version").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal(c.GetProperty("descr").GetString(), header.Descr);
        Assert.Equal(shape, header.Shape);
        Assert.Equal((version[0], version[1]), header.Version);

        using var tensor = Npy.Read(path);
        Assert.Equal(DTypeOf(header.Descr), tensor.dtype);
        Assert.Equal(shape, tensor.shape);
        Assert.Equal(ExpectedValues(c), Values(tensor)); // exact: every value is representable in double
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WriterIsByteIdenticalToNumpy(string name)
    {
        var c = Manifest(name);
        string numpyFile = Path.Combine(Folder, name + ".npy");
        string ours = Path.Combine(_temp, name + ".npy");
        using (var tensor = Npy.Read(numpyFile))
            Npy.Write(ours, tensor);
        int[] version = c.GetProperty("version").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        byte[] expected = File.ReadAllBytes(numpyFile);
        byte[] actual = File.ReadAllBytes(ours);
        if (version[0] == 1)
        {
            Assert.Equal(expected, actual);
        }
        else
        {
            // numpy wrote this one as 2.0/3.0 on request; ours is 1.0: same data bytes after the header.
            int expectedData = (int)Npy.ReadHeader(numpyFile).DataOffset, actualData = (int)Npy.ReadHeader(ours).DataOffset;
            Assert.Equal(expected[expectedData..], actual[actualData..]);
        }
    }

    [Fact]
    public void ArrayOverloadsMatchNumpyBytes()
    {
        var c = Manifest("float32_2x3");
        float[] values = ExpectedValues(c).Select(v => (float)v).ToArray();
        string path = Path.Combine(_temp, "a.npy");
        Npy.Write(path, values, 2, 3);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Folder, "float32_2x3.npy")), File.ReadAllBytes(path));

        var longs = Manifest("int64_2x2x3");
        long[] ints = longs.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Npy.Write(path, ints, 2, 2, 3);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Folder, "int64_2x2x3.npy")), File.ReadAllBytes(path));

        long[] back = Npy.Read<long>(path, out long[] shape);
        Assert.Equal(ints, back);
        Assert.Equal(new long[] { 2, 2, 3 }, shape);
    }

    /// <summary>arange(start, stop) with Scalars that outlive the native call (issue 12).</summary>
    private static Tensor Range(int start, int stop, ScalarType dtype)
    {
        using var first = start.ToScalar();
        using var end = stop.ToScalar();
        return arange(first, end, Scalars.One, dtype: dtype);
    }

    [Fact]
    public void TensorRoundTripsForEveryTypeAndNonContiguousInput()
    {
        using var scope = NewDisposeScope();
        using var ten = 10.ToScalar();
        var tensors = new[]
        {
            randn(4, 5).t(), // non-contiguous: written in C order of the transposed view
            randn(3, dtype: ScalarType.Float64),
            Range(0, 24, ScalarType.Int64).reshape(2, 3, 4).sub(ten),
            Range(0, 6, ScalarType.Int32).reshape(1, 6),
            Range(200, 206, ScalarType.Byte),
            tensor(new[] { true, false, true }),
            tensor(2.5f),
            zeros(0, 7),
        };
        foreach (var t in tensors)
        {
            string path = Path.Combine(_temp, "t.npy");
            Npy.Write(path, t);
            var back = Npy.Read(path);
            Assert.Equal(t.dtype, back.dtype);
            Assert.Equal(t.shape, back.shape);
            Assert.True(t.eq(back).all().item<bool>());
            Assert.Equal(0, Npy.ReadHeader(path).DataOffset % 64);
        }
    }

    [Fact]
    public void PlainArraysRoundTripForEveryType()
    {
        string path = Path.Combine(_temp, "p.npy");
        Npy.Write(path, new[] { 1.5, -2.25 }, 2);
        Assert.Equal(new[] { 1.5, -2.25 }, Npy.Read<double>(path, out _));
        Npy.Write(path, new[] { 7, -8, 9 }, 3, 1);
        Assert.Equal(new[] { 7, -8, 9 }, Npy.Read<int>(path, out var shape));
        Assert.Equal(new long[] { 3, 1 }, shape);
        Npy.Write(path, new byte[] { 0, 255 }, 2);
        Assert.Equal(new byte[] { 0, 255 }, Npy.Read<byte>(path, out _));
        Npy.Write(path, new[] { true, false }, 2);
        Assert.Equal(new[] { true, false }, Npy.Read<bool>(path, out _));
        Npy.Write(path, new[] { 4f }); // 0-d
        Assert.Equal(new[] { 4f }, Npy.Read<float>(path, out shape));
        Assert.Empty(shape);
    }

    [Fact]
    public void HugeHeadersSwitchToVersion2AndReadBack()
    {
        long[] shape = Enumerable.Repeat(1L, 30000).ToArray(); // the header alone is > 64 KiB
        string path = Path.Combine(_temp, "v2.npy");
        Npy.Write(path, new[] { 42L }, shape);
        var header = Npy.ReadHeader(path);
        Assert.Equal((2, 0), header.Version);
        Assert.Equal(0, header.DataOffset % 64);
        Assert.Equal(new[] { 42L }, Npy.Read<long>(path, out var back));
        Assert.Equal(30000, back.Length);
    }

    [Theory]
    [InlineData("reject_fortran_order", "Fortran order")]
    [InlineData("reject_big_endian", "big-endian")]
    [InlineData("reject_complex", "'<c8'")]
    public void RejectsUnsupportedNumpyFilesNamingTheFile(string name, string reason)
    {
        string path = Path.Combine(Folder, name + ".npy");
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(reason, e.Message);
    }

    private string Malformed(string name, byte[] bytes)
    {
        string path = Path.Combine(_temp, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Valid() => File.ReadAllBytes(Path.Combine(Folder, "float32_2x3.npy"));

    private static byte[] WithHeader(string dict)
    {
        byte[] text = Encoding.ASCII.GetBytes(dict + "\n");
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)text.Length, (byte)(text.Length >> 8) };
        bytes.AddRange(text);
        bytes.AddRange(new byte[24]);
        return bytes.ToArray();
    }

    public static TheoryData<string, byte[], string> MalformedFiles() => new()
    {
        { "empty.npy", Array.Empty<byte>(), "not a .npy file" },
        { "magic.npy", Encoding.ASCII.GetBytes("PK\x03\x04 not numpy at all"), "not a .npy file" },
        { "version.npy", Valid().Select((b, i) => i == 6 ? (byte)9 : b).ToArray(), "version 9.0" },
        { "truncated.npy", Valid()[..^5], "truncated" },
        { "trailing.npy", Valid().Concat(new byte[] { 1, 2, 3 }).ToArray(), "3 unexpected bytes" },
        { "header_length.npy", Valid()[..12], "header length" },
        { "missing_key.npy", WithHeader("{'descr': '<f4', 'shape': (2, 3), }"), "lacks fortran_order" },
        { "extra_key.npy", WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}"), "unexpected key 'x'" },
        { "bad_shape.npy", WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }"), "non-negative integers" },
        { "bad_bool.npy", WithHeader("{'descr': '<f4', 'fortran_order': maybe, 'shape': (2, 3), }"), "True or False" },
        { "structured.npy", WithHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"), "structured" },
        { "not_a_dict.npy", WithHeader("[1, 2, 3]"), "expected '{'" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void MalformedFilesGiveClearErrorsNamingTheFile(string name, byte[] bytes, string reason)
    {
        string path = Malformed(name, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void OtherErrorsNameTheProblem()
    {
        string missing = Path.Combine(_temp, "missing.npy");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Npy.Read(missing)).Message);

        string floats = Path.Combine(Folder, "float32_2x3.npy");
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read<long>(floats, out _));
        Assert.Contains(floats, e.Message);
        Assert.Contains("'<f4'", e.Message);

        Assert.Throws<ArgumentException>(() => Npy.Write(Path.Combine(_temp, "x.npy"), new float[5], 2, 3));
        using var half = zeros(2, dtype: ScalarType.Float16);
        Assert.Throws<NotSupportedException>(() => Npy.Write(Path.Combine(_temp, "h.npy"), half));
    }
}
