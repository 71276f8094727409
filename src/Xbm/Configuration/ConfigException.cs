namespace Xbm.Configuration;

/// <summary>A configuration error that names the file and the key (e.g. "demo.yaml: memory.size: must be positive").</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the error.</summary>
    public ConfigException(string message) : base(message) { }
}
