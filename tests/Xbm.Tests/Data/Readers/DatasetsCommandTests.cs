using Xbm.Cli;

namespace Xbm.Tests.Data.Readers;

public class DatasetsCommandTests
{
    [Fact]
    public void CheckSucceedsOnAGoodDownloadAndFailsOnMissingFiles()
    {
        Assert.Equal(0, CliApp.Run(["datasets", "check", "--dataset", "cub", "--root", DatasetFixtures.Path("cub"), "--decode"]));
        Assert.Equal(1, CliApp.Run(["datasets", "check", "--dataset", "cub", "--root", DatasetFixtures.Path("cub_missing_file")]));
        Assert.Equal(1, CliApp.Run(["datasets", "check", "--dataset", "csv", "--root", DatasetFixtures.Path("corrupt"), "--decode"]));
    }

    [Fact]
    public void MalformedListIsABadInputErrorAndListWorks()
    {
        Assert.Equal(2, CliApp.Run(["datasets", "check", "--dataset", "sop", "--root", DatasetFixtures.Path("sop_bad_line")]));
        Assert.Equal(0, CliApp.Run(["datasets", "list"]));
    }
}
