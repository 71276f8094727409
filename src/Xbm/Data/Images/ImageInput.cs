namespace Xbm.Data.Images;

/// <summary>One image file given by the user (a folder's file or a list's line), for `xbm embed --images`.</summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="Label">Index of its class folder's name in <see cref="ImageInputs.ClassNames"/>, or -1 when unknown.</param>
/// <param name="Source">Where it was named, for messages: the file itself, or "LIST:LINE".</param>
public sealed record ImageInput(string Path, long Label, string Source);
