// This file is compiled twice: into the Xbm library (XBM_LIBRARY defined), where tests and `xbm doctor`
// use ElfVersionNeeds to inspect a native library, and by build/TorchSharpNativeFix.targets as an MSBuild
// inline task (XBM_LIBRARY undefined), which also compiles the PatchWeakVersionNeed task below.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Xbm.Runtime
{
    /// <summary>One entry of an ELF .gnu.version_r section: a version a shared library needs from another.</summary>
    /// <remarks>A plain class, not a record: MSBuild compiles this file for netstandard, which lacks init-only setters.</remarks>
    public sealed class VersionNeed
    {
        /// <summary>Creates an entry.</summary>
        public VersionNeed(string file, string name, ushort flags, long flagsOffset)
        {
            File = file;
            Name = name;
            Flags = flags;
            FlagsOffset = flagsOffset;
        }

        /// <summary>The library the version is needed from (vn_file), e.g. libstdc++.so.6.</summary>
        public string File { get; }

        /// <summary>The version name (vna_name), e.g. GLIBCXX_3.4.32.</summary>
        public string Name { get; }

        /// <summary>vna_flags; bit 2 (VER_FLG_WEAK) makes the loader accept a library without the version.</summary>
        public ushort Flags { get; }

        /// <summary>File offset of the 16-bit vna_flags field.</summary>
        public long FlagsOffset { get; }

        /// <summary>True when VER_FLG_WEAK is set.</summary>
        public bool IsWeak => (Flags & ElfVersionNeeds.VerFlagWeak) != 0;
    }

    /// <summary>
    /// Reads and patches the version requirements (.gnu.version_r) of a 64-bit little-endian ELF file.
    /// TorchSharp-cpu 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 only for an unreferenced marker
    /// symbol; marking that one requirement weak lets it load against an older libstdc++ (Debian 12's).
    /// </summary>
    public static class ElfVersionNeeds
    {
        /// <summary>The version TorchSharp 0.107.0 asks for and Debian 12's libstdc++ lacks.</summary>
        public const string TorchSharpGlibcxxVersion = "GLIBCXX_3.4.32";

        /// <summary>VER_FLG_WEAK in vna_flags.</summary>
        public const ushort VerFlagWeak = 2;

        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Lists every version requirement in the file.</summary>
        public static List<VersionNeed> Read(string path)
        {
            return Read(System.IO.File.ReadAllBytes(path), path);
        }

        /// <summary>Lists every version requirement in an ELF image held in memory.</summary>
        public static List<VersionNeed> Read(byte[] elf, string pathForErrors)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException($"{pathForErrors}: not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException($"{pathForErrors}: only 64-bit little-endian ELF files are supported");

            long sectionHeaders = (long)BitConverter.ToUInt64(elf, 0x28);
            int entrySize = BitConverter.ToUInt16(elf, 0x3A);
            int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
            var needs = new List<VersionNeed>();
            for (int s = 0; s < sectionCount; s++)
            {
                long header = sectionHeaders + (long)s * entrySize;
                if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed)
                    continue;
                long offset = (long)BitConverter.ToUInt64(elf, (int)header + 0x18);
                int link = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
                int entryCount = (int)BitConverter.ToUInt32(elf, (int)header + 0x2C);
                long strings = (long)BitConverter.ToUInt64(elf, (int)(sectionHeaders + (long)link * entrySize) + 0x18);

                long need = offset;
                for (int n = 0; n < entryCount; n++)
                {
                    int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                    string file = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)need + 4));
                    long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        string name = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                        needs.Add(new VersionNeed(file, name, flags, aux + 4));
                        aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                    if (next == 0)
                        break;
                    need += next;
                }
            }
            return needs;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the requirement named <paramref name="versionName"/>. The file is replaced
        /// through a temporary copy (never written in place, so a hard link into a package cache is not
        /// modified) and keeps its timestamp. Returns false when there was nothing to do.
        /// </summary>
        public static bool MarkWeak(string path, string versionName)
        {
            byte[] elf = System.IO.File.ReadAllBytes(path);
            bool changed = false;
            foreach (VersionNeed need in Read(elf, path))
            {
                if (need.Name != versionName || need.IsWeak)
                    continue;
                ushort flags = (ushort)(need.Flags | VerFlagWeak);
                elf[need.FlagsOffset] = (byte)(flags & 0xff);
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
                changed = true;
            }
            if (!changed)
                return false;

            DateTime stamp = System.IO.File.GetLastWriteTimeUtc(path);
            string temporary = path + ".patching";
            System.IO.File.WriteAllBytes(temporary, elf);
            System.IO.File.SetLastWriteTimeUtc(temporary, stamp);
            // Unlink, then rename: a hard link into a package cache keeps the original bytes.
            System.IO.File.Delete(path);
            System.IO.File.Move(temporary, path);
            return true;
        }

        /// <summary>
        /// True when a libstdc++.so.6 in the usual library folders defines <paramref name="versionName"/>.
        /// </summary>
        public static bool SystemLibStdCxxProvides(string versionName)
        {
            byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
            foreach (string folder in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                                              "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" })
            {
                string candidate = Path.Combine(folder, "libstdc++.so.6");
                if (System.IO.File.Exists(candidate))
                    return IndexOf(System.IO.File.ReadAllBytes(candidate), needle) >= 0;
            }
            return false;
        }

        private static string ReadString(byte[] elf, long offset)
        {
            int end = (int)offset;
            while (elf[end] != 0)
                end++;
            return Encoding.ASCII.GetString(elf, (int)offset, end - (int)offset);
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j])
                    j++;
                if (j == needle.Length)
                    return i;
            }
            return -1;
        }
    }

#if !XBM_LIBRARY
    /// <summary>MSBuild task: marks the GLIBCXX_3.4.32 requirement of every libLibTorchSharp.so under a folder weak.</summary>
    public sealed class PatchWeakVersionNeed : Microsoft.Build.Utilities.Task
    {
        /// <summary>The build output folder to search.</summary>
        [Microsoft.Build.Framework.Required]
        public string Folder { get; set; } = "";

        public override bool Execute()
        {
            if (!Directory.Exists(Folder))
                return true;
            string version = ElfVersionNeeds.TorchSharpGlibcxxVersion;
            if (ElfVersionNeeds.SystemLibStdCxxProvides(version))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"System libstdc++ provides {version}; TorchSharp needs no patch.");
                return true;
            }
            foreach (string library in Directory.EnumerateFiles(Folder, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                try
                {
                    if (ElfVersionNeeds.MarkWeak(library, version))
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, $"Marked {version} weak in {library} (system libstdc++ lacks it).");
                }
                catch (Exception e)
                {
                    Log.LogError($"Could not patch {library}: {e.Message}");
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
