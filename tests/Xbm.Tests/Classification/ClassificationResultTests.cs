using Xbm.Evaluation;

namespace Xbm.Tests.Classification;

public sealed class ClassificationResultTests
{
    [Fact]
    public void AccuraciesAndCsvFollowTheMatrix()
    {
        var result = new ClassificationResult(new long[,] { { 8, 2, 0 }, { 1, 3, 0 }, { 0, 0, 0 } }, ["a", "b, c", "d"]);
        Assert.Equal(14, result.Total);
        Assert.Equal(11.0 / 14, result.Accuracy, 12);
        Assert.Equal(0.8, result.ClassAccuracy(0), 12);
        Assert.Equal(0.75, result.ClassAccuracy(1), 12);
        Assert.True(double.IsNaN(result.ClassAccuracy(2)));
        Assert.Equal((0.8 + 0.75) / 2, result.MeanClassAccuracy, 12); // classes without items are left out
        string csv = result.ToCsv();
        Assert.StartsWith("true\\predicted,a,\"b, c\",d\na,8,2,0\n", csv);
        var read = ClassificationResult.FromCsv(csv, "x.csv");
        Assert.Equal(result.Names, read.Names);
        Assert.Equal(result.Confusion, read.Confusion);
    }

    [Fact]
    public void AMalformedMatrixNamesTheFile()
    {
        var error = Assert.Throws<InvalidDataException>(() => ClassificationResult.FromCsv("true\\predicted,a,b\na,1,2\n", "m.csv"));
        Assert.StartsWith("m.csv: 2 classes in the header but 1 rows", error.Message);
    }
}
