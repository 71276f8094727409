using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Xbm.IO;

namespace Xbm.Tests.IO;

public class MatFileTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Datasets", "mat", name);

    [Theory]
    [InlineData("types.mat")]
    [InlineData("types_compressed.mat")]
    public void NumericAndCharArraysMatchWhatScipyWrote(string file)
    {
        var mat = MatFile.Read(Fixture(file));
        Assert.StartsWith("MATLAB 5.0 MAT-file", mat.Description);
        var expected = JsonDocument.Parse(File.ReadAllText(Fixture("expected.json"))).RootElement;
        foreach (var variable in expected.EnumerateObject())
        {
            var array = mat[variable.Name];
            if (variable.Value.TryGetProperty("real", out var real))
            {
                var numeric = Assert.IsType<MatNumericArray>(array);
                Assert.Equal(variable.Value.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()), numeric.Dimensions);
                Assert.Equal(real.EnumerateArray().Select(v => v.GetDouble()), numeric.Real);
                if (variable.Value.TryGetProperty("imag", out var imag))
                    Assert.Equal(imag.EnumerateArray().Select(v => v.GetDouble()), numeric.Imaginary!);
                else
                    Assert.Null(numeric.Imaginary);
            }
            else
            {
                var text = Assert.IsType<MatCharArray>(array);
                Assert.Equal(variable.Value.GetProperty("rows").EnumerateArray().Select(r => r.GetString()), text.Rows);
            }
        }
        Assert.Equal(MatClass.Int8, mat["i8"].Class);
        Assert.Equal(MatClass.UInt64, mat["u64"].Class);
        Assert.Equal(MatClass.Single, mat["s"].Class);
        Assert.True(((MatNumericArray)mat["flag"]).IsLogical);
        Assert.Equal([2, 3], mat["matrix"].Dimensions); // column-major values checked above: 0 3 1 4 2 5
    }

    [Theory]
    [InlineData("types.mat")]
    [InlineData("types_compressed.mat")]
    public void CellAndNestedStructArrays(string file)
    {
        var mat = MatFile.Read(Fixture(file));
        var cell = Assert.IsType<MatCellArray>(mat["cell"]);
        Assert.Equal(3, cell.Cells.Count);
        Assert.Equal(1.0, ((MatNumericArray)cell.Cells[0]).Scalar());
        Assert.Equal("two", ((MatCharArray)cell.Cells[1]).Text);
        Assert.Equal([3.0, 4.0], ((MatNumericArray)cell.Cells[2]).Real);
        Assert.Equal(MatClass.Int16, cell.Cells[2].Class);

        var st = Assert.IsType<MatStructArray>(mat["st"]);
        Assert.Equal(["a", "b", "nested"], st.FieldNames);
        Assert.Equal(2, st.Count);
        Assert.Equal("first", ((MatCharArray)st[0, "b"]).Text);
        Assert.Equal("second", ((MatCharArray)st[1, "b"]).Text);
        Assert.Equal([2.0, 3.0], ((MatNumericArray)st[1, "a"]).Real);
        var nested = Assert.IsType<MatStructArray>(st[1, "nested"]);
        Assert.Equal(7.5, ((MatNumericArray)nested[0, "x"]).Scalar());
        var missing = Assert.Throws<InvalidDataException>(() => st[0, "c"]);
        Assert.Contains("no field 'c'", missing.Message);
        Assert.Equal(0, mat["empty"].Count);
    }

    [Fact]
    public void ReadsMatlabStyleSmallElementsAndNarrowStorage()
    {
        // MATLAB stores a double array holding small integers as miUINT8 data and puts short names and field
        // lengths in the 4-byte small element format; build such a file byte by byte from the format spec.
        var body = new List<byte>();
        void Tag(uint type, int size) { body.AddRange(U32(type)); body.AddRange(U32((uint)size)); }
        void Small(uint type, byte[] data) { body.AddRange(U32(type | (uint)data.Length << 16)); body.AddRange(data); body.AddRange(new byte[4 - data.Length]); }
        var matrix = new List<byte>();
        body = matrix;
        Tag(6, 8); body.AddRange(U32(6)); body.AddRange(U32(0));          // array flags: mxDOUBLE_CLASS
        Tag(5, 8); body.AddRange(U32(1)); body.AddRange(U32(3));          // dims 1x3
        Small(1, Encoding.ASCII.GetBytes("v"));                            // name "v" (small element)
        Tag(2, 3); body.AddRange(new byte[] { 7, 200, 0 }); body.AddRange(new byte[5]); // miUINT8 data, padded
        var file = new List<byte>(Header());
        body = file;
        Tag(14, matrix.Count);
        file.AddRange(matrix);

        var mat = MatFile.Read(file.ToArray(), "handmade.mat");
        var v = Assert.IsType<MatNumericArray>(mat["v"]);
        Assert.Equal(MatClass.Double, v.Class);
        Assert.Equal([7.0, 200.0, 0.0], v.Real);
    }

    [Fact]
    public void RejectsV73AndTruncatedFilesNamingTheFile()
    {
        var header = Header();
        Encoding.ASCII.GetBytes("MATLAB 7.3 MAT-file").CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(124), 0x0200);
        var e = Assert.Throws<InvalidDataException>(() => MatFile.Read(header, "new.mat"));
        Assert.Contains("new.mat", e.Message);
        Assert.Contains("v7.3", e.Message);

        byte[] bytes = File.ReadAllBytes(Fixture("types.mat"));
        e = Assert.Throws<InvalidDataException>(() => MatFile.Read(bytes[..(bytes.Length - 40)], "cut.mat"));
        Assert.StartsWith("cut.mat: offset", e.Message);
        e = Assert.Throws<InvalidDataException>(() => MatFile.Read(new byte[10], "tiny.mat"));
        Assert.Contains("tiny.mat", e.Message);
    }

    private static byte[] Header()
    {
        var header = new byte[128];
        Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, handmade").CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(124), 0x0100);
        header[126] = (byte)'I';
        header[127] = (byte)'M';
        return header;
    }

    private static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }
}
