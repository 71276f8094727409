using System.CommandLine;

namespace Xbm.Cli.Commands;

/// <summary>
/// One `xbm` sub-command. Every non-abstract implementation in this assembly is found and registered by
/// Program, so adding a command is adding one file.
/// </summary>
public interface ICliCommand
{
    /// <summary>Builds the System.CommandLine command with its options and action.</summary>
    Command Build();
}
