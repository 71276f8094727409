using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Runtime;

/// <summary>The transparent-huge-page hint for large results (Runtime/HugePages).</summary>
public sealed class HugePagesTests
{
    [Fact]
    public void LargeCpuTensorsAreAdvisedAndKeepTheirValues()
    {
        using var count = 3_000_000.ToScalar();
        using var large = arange(Scalars.Zero, count, Scalars.One, dtype: ScalarType.Int64); // 24 MB: whole 2 MiB pages inside
        using var small = zeros(1000);
        Assert.False(HugePages.Advise(small)); // no whole 2 MiB page inside
        bool advised = HugePages.Advise(large);
        if (OperatingSystem.IsLinux() && File.Exists("/sys/kernel/mm/transparent_hugepage/enabled"))
            Assert.True(advised, "madvise(MADV_HUGEPAGE) was refused on a kernel with transparent huge pages");
        Assert.Equal(2_999_999L, large[2_999_999].item<long>());
        Assert.Equal(1_234_567L, large[1_234_567].item<long>());
    }
}
