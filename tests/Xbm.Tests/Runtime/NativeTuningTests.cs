using Xbm.Runtime;

namespace Xbm.Tests.Runtime;

/// <summary>The native settings reach the native environment (what libgomp reads), and can be turned off.</summary>
public sealed class NativeTuningTests
{
    [Fact]
    public void SetsThePassiveWaitPolicyInTheNativeEnvironmentUnlessTheUserChoseOne()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string? before = NativeTuning.WaitPolicy();
        string description = NativeTuning.Apply(heapRetention: true);
        string expected = before ?? "PASSIVE";
        Assert.Equal(expected, NativeTuning.WaitPolicy());
        Assert.Contains($"OMP_WAIT_POLICY={expected}", description);
        Assert.Contains("heap retention on", description);
    }

    [Fact]
    public void TheEnvironmentVariableTurnsItOff()
    {
        if (!OperatingSystem.IsLinux())
            return;
        Environment.SetEnvironmentVariable("XBM_NATIVE_TUNING", "0");
        try
        {
            Assert.StartsWith("off", NativeTuning.Apply());
        }
        finally
        {
            Environment.SetEnvironmentVariable("XBM_NATIVE_TUNING", null);
        }
    }
}
