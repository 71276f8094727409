using System.Runtime.InteropServices;
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

    [Fact]
    public unsafe void LargeNativeBuffersAreAdvisedAndKeepTheirValues()
    {
        const long length = 8L << 20; // 8 MiB: at least three whole 2 MiB pages inside, wherever it starts
        var buffer = (long*)NativeMemory.Alloc((nuint)length);
        try
        {
            long count = length / sizeof(long);
            for (long i = 0; i < count; i++)
                buffer[i] = i * 3;
            Assert.False(HugePages.Advise((nint)buffer, 4096)); // no whole 2 MiB page inside
            Assert.False(HugePages.Advise(0, length));
            bool advised = HugePages.Advise((nint)buffer, length);
            if (OperatingSystem.IsLinux() && File.Exists("/sys/kernel/mm/transparent_hugepage/enabled"))
                Assert.True(advised, "madvise(MADV_HUGEPAGE) was refused on a kernel with transparent huge pages");
            Assert.Equal(3 * (count - 1), buffer[count - 1]);
            Assert.Equal(3 * 123_457L, buffer[123_457]);
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }
}
