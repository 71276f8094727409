using System.Runtime.CompilerServices;
using Xbm.Runtime;

namespace Xbm.Tests.Runtime;

/// <summary>What the `xbm` tool does at start-up, done for the test host before any test runs.</summary>
internal static class TestHostSetup
{
    /// <summary>Switches oneDNN off on processors that do not report their cache sizes (<see cref="OneDnnGuard"/>).</summary>
    [ModuleInitializer]
    internal static void Initialize() => OneDnnGuard.Apply();
}
