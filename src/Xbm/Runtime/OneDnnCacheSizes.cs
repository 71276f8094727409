using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Xbm.Runtime;

/// <summary>
/// Gives libtorch's oneDNN the data cache sizes that an AMD processor without CPUID leaf 0x8000001D (TOPOEXT; some
/// virtual machines, this project's CI among them) does not report, so that oneDNN can stay on there.
/// </summary>
/// <remarks>
/// oneDNN 3.7 (libtorch 2.10) reads the caches once, into the function-local static <c>Xbyak::util::Cpu</c> of
/// <c>dnnl::impl::cpu::x64::cpu()</c>. On AMD processors its xbyak reads leaf 0x8000001D whether or not the processor
/// has it; all-zero leaves make every cache 1 byte, oneDNN's convolution blocking then divides by zero (SIGFPE in
/// <c>brg_blocking_t::est_eff_1x1</c>) or picks blocks that returned wrong gradients. None of these symbols is
/// exported, but libtorch_cpu.so keeps its static symbol table: <see cref="TryApply"/> finds the object and
/// oneDNN's own <c>platform::get_per_core_cache_size</c> there, builds the object through its accessor, checks
/// that its fields are where this build puts them (family, model and stepping equal CPUID leaf 1; three cache
/// levels whose sizes are what xbyak computes from the empty leaf), and writes the sizes of the legacy AMD leaves
/// 0x80000005/6 (L1d, L2 per core; L3 capped at 32 MiB, shared by 8 cores). Any mismatch (another libtorch, a
/// stripped library, another xbyak) leaves everything untouched and <see cref="OneDnnGuard"/> switches oneDNN off as
/// before. Must run after libtorch is loaded and before oneDNN's first primitive, with no other thread in libtorch.
/// </remarks>
public static unsafe class OneDnnCacheSizes
{
    private const string CpuAccessor = "_ZN4dnnl4impl3cpu3x643cpuEv"; // dnnl::impl::cpu::x64::cpu()
    private const string CpuObject = "_ZZN4dnnl4impl3cpu3x643cpuEvE4cpu_"; // its static Xbyak::util::Cpu
    private const string PerCoreCacheSize = "_ZN4dnnl4impl3cpu8platform23get_per_core_cache_sizeEi";
    private const string Anchor = "_ZN2at13globalContextEv"; // exported: ties the file's addresses to the loaded library

    // Xbyak::util::Cpu as compiled into libtorch 2.10's oneDNN 3.7.1 (0x90 bytes): offsets of 32-bit fields.
    private const int ObjectSize = 0x90, Sizes = 0x1c, Sharing = 0x44, Levels = 0x6c, Model = 0x74, Family = 0x78,
        Stepping = 0x7c, DisplayFamily = 0x88, DisplayModel = 0x8c;

    private const int RtldNow = 2, RtldNoLoad = 4;

    /// <summary>
    /// Writes the cache sizes into oneDNN's processor description when this processor needs it and the library is
    /// the one expected. Returns true when oneDNN now has usable sizes (written here, or reported by the processor);
    /// <paramref name="description"/> says what was done or why nothing was.
    /// </summary>
    public static bool TryApply(out string description)
    {
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported || !ProcessorVendor.IsAmd())
        {
            description = "not an AMD processor on Linux";
            return false;
        }
        IntPtr library = dlopen("libtorch_cpu.so", RtldNow | RtldNoLoad);
        if (library == IntPtr.Zero)
        {
            description = "libtorch_cpu.so is not loaded";
            return false;
        }
        try
        {
            return Patch(library, out description);
        }
        finally
        {
            dlclose(library);
        }
    }

    private static bool Patch(IntPtr library, out string description)
    {
        if (!NativeLibrary.TryGetExport(library, Anchor, out var anchor) || dladdr(anchor, out var info) == 0)
        {
            description = "libtorch_cpu.so does not export at::globalContext";
            return false;
        }
        string path = Marshal.PtrToStringUTF8(info.FileName) ?? "";
        var symbols = ReadSymbols(path, [CpuAccessor, CpuObject, PerCoreCacheSize, Anchor]);
        if (symbols.Count < 4)
        {
            description = $"oneDNN's processor description is not in {path}'s symbol table (a stripped or other libtorch)";
            return false;
        }
        nint start = info.Base;
        if (start + (nint)symbols[Anchor].Value != anchor)
        {
            description = $"{path} is not the library that is loaded";
            return false;
        }
        if (symbols[CpuObject].Size != ObjectSize)
        {
            description = $"Xbyak::util::Cpu is {symbols[CpuObject].Size} bytes, not {ObjectSize}: another oneDNN";
            return false;
        }
        byte* cpu = ((delegate* unmanaged<byte*>)(start + (nint)symbols[CpuAccessor].Value))();
        if ((nint)cpu != start + (nint)symbols[CpuObject].Value)
        {
            description = "dnnl::impl::cpu::x64::cpu() did not return its static object";
            return false;
        }
        var perCore = (delegate* unmanaged<int, uint>)(start + (nint)symbols[PerCoreCacheSize].Value);
        if (perCore(1) >= 4096 && perCore(2) >= 65536)
        {
            description = $"oneDNN reads the cache sizes itself (L1 {perCore(1)}, L2 {perCore(2)} bytes per core)";
            return true;
        }
        uint* field = (uint*)cpu;
        if (!LayoutMatches(field))
        {
            description = "oneDNN's processor description is not laid out as expected";
            return false;
        }
        var (l1, l2, l3) = LegacyCacheSizes();
        field[Sizes / 4] = l1;
        field[Sizes / 4 + 1] = l2;
        field[Sizes / 4 + 2] = l3;
        field[Sharing / 4] = 1;
        field[Sharing / 4 + 1] = 1;
        field[Sharing / 4 + 2] = 8;
        description = $"cache sizes given to oneDNN (CPUID leaf 0x8000001D is empty): L1d {perCore(1) >> 10} KiB, L2 {perCore(2) >> 10} KiB, L3 {perCore(3) >> 10} KiB per core";
        return true;
    }

    // The fields the constructor derived from CPUID must hold what CPUID says, and the cache sizes what xbyak
    // computes from the empty leaf: then this is the layout the offsets describe.
    private static bool LayoutMatches(uint* field)
    {
        uint signature = (uint)X86Base.CpuId(1, 0).Eax;
        uint family = (signature >> 8) & 0xF, model = (signature >> 4) & 0xF, stepping = signature & 0xF;
        uint displayFamily = family == 0xF ? family + ((signature >> 20) & 0xFF) : family;
        uint displayModel = family is 6 or 0xF ? (((signature >> 16) & 0xF) << 4) + model : model;
        return field[Family / 4] == family && field[Model / 4] == model && field[Stepping / 4] == stepping
            && field[DisplayFamily / 4] == displayFamily && field[DisplayModel / 4] == displayModel
            && field[Levels / 4] == 3
            && field[Sizes / 4] == XbyakAmdSize(0) && field[Sizes / 4 + 1] == XbyakAmdSize(2) && field[Sizes / 4 + 2] == XbyakAmdSize(3)
            && field[Sharing / 4] != 0 && field[Sharing / 4 + 1] != 0 && field[Sharing / 4 + 2] != 0;
    }

    // What xbyak stores for sub-leaf `sub` of leaf 0x8000001D: ways × partitions × line size × sets.
    private static uint XbyakAmdSize(int sub)
    {
        var (_, ebx, ecx, _) = X86Base.CpuId(unchecked((int)0x8000001D), sub);
        uint b = (uint)ebx;
        return ((b >> 22) + 1) * (((b >> 12) & 0x3FF) + 1) * ((b & 0xFFF) + 1) * ((uint)ecx + 1);
    }

    // L1d (leaf 0x80000005 ECX[31:24] KiB), L2 (0x80000006 ECX[31:16] KiB) and L3 (EDX[31:18] × 512 KiB, at most
    // 32 MiB: a guest may report the host's total), with common sizes where a leaf is empty.
    private static (uint L1, uint L2, uint L3) LegacyCacheSizes()
    {
        uint l1 = ((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) * 1024;
        var (_, _, ecx, edx) = X86Base.CpuId(unchecked((int)0x80000006), 0);
        uint l2 = ((uint)ecx >> 16) * 1024;
        ulong l3 = ((ulong)(uint)edx >> 18) * 512 * 1024;
        return (l1 > 0 ? l1 : 32u << 10, l2 > 0 ? l2 : 512u << 10, l3 > 0 && l3 < 32ul << 20 ? (uint)l3 : 32u << 20);
    }

    private readonly record struct Symbol(ulong Value, ulong Size);

    /// <summary>The named symbols (functions and objects defined in the file) of an ELF64 file's static symbol table.</summary>
    private static Dictionary<string, Symbol> ReadSymbols(string path, string[] names)
    {
        var found = new Dictionary<string, Symbol>();
        var wanted = names.Select(n => Encoding.ASCII.GetBytes(n + "\0")).ToArray();
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* elf = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref elf);
        try
        {
            long length = (long)view.SafeMemoryMappedViewHandle.ByteLength;
            if (length < 64 || *(uint*)elf != 0x464C457F || elf[4] != 2) // "\x7fELF", 64-bit
                return found;
            ulong sectionHeaders = *(ulong*)(elf + 0x28);
            int entrySize = *(ushort*)(elf + 0x3A), count = *(ushort*)(elf + 0x3C);
            for (int s = 0; s < count; s++)
            {
                byte* section = elf + (long)sectionHeaders + (long)s * entrySize;
                if (*(uint*)(section + 4) != 2) // SHT_SYMTAB
                    continue;
                byte* strings = elf + (long)*(ulong*)(elf + (long)sectionHeaders + (long)*(uint*)(section + 40) * entrySize + 24);
                byte* table = elf + (long)*(ulong*)(section + 24);
                long symbols = (long)(*(ulong*)(section + 32) / 24);
                for (long i = 0; i < symbols; i++)
                {
                    byte* symbol = table + i * 24;
                    int type = symbol[4] & 0xF;
                    if ((type != 1 && type != 2) || *(ushort*)(symbol + 6) == 0) // objects and functions defined here
                        continue;
                    byte* name = strings + *(uint*)symbol;
                    if (name[0] != (byte)'_')
                        continue;
                    for (int w = 0; w < wanted.Length; w++)
                        if (name + wanted[w].Length <= elf + length && new ReadOnlySpan<byte>(name, wanted[w].Length).SequenceEqual(wanted[w]))
                            found[names[w]] = new Symbol(*(ulong*)(symbol + 8), *(ulong*)(symbol + 16));
                }
            }
            return found;
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public IntPtr FileName, Base, SymbolName, SymbolAddress;
    }

    [DllImport("libc")]
    private static extern IntPtr dlopen(string file, int mode);

    [DllImport("libc")]
    private static extern int dlclose(IntPtr handle);

    [DllImport("libc")]
    private static extern int dladdr(IntPtr address, out DlInfo info);
}
