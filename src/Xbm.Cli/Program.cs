using System.CommandLine;
using Xbm.Cli;

return CliApp.Run(args);
