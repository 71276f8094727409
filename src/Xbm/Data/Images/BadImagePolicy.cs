namespace Xbm.Data.Images;

/// <summary>What a loader does with a missing or undecodable image.</summary>
public enum BadImagePolicy
{
    /// <summary>Stop with an error naming the image, its list file and line.</summary>
    Fail,
    /// <summary>Log it once and use the next readable image of the same class instead (deterministic).</summary>
    Skip,
}
