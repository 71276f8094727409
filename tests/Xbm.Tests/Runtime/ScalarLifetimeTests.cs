using System.Reflection.Emit;

namespace Xbm.Tests.Runtime;

/// <summary>
/// Issue 12's native crash, swept statically. TorchSharp 0.107's <c>Scalar</c> wraps a raw native pointer and frees
/// it in its finalizer; its wrappers read <c>scalar.Handle</c> and then call native code without keeping the Scalar
/// alive. A Scalar made as a temporary (an implicit conversion such as the <c>1</c> in <c>t.add_(1)</c>, or the
/// alpha that <c>a + b</c> passes internally) is therefore collectable during the native call: a garbage collection
/// started by another thread (the prefetcher's allocations) lets the finalizer free it while libtorch reads it, and
/// the process aborts ("Unknown scalar type", "alpha must not be a floating point number").
/// These tests read the IL of TorchSharp and of our assemblies and fail on every place where our code makes such a
/// temporary, calls a TorchSharp method that makes one, or builds a TorchSharp module whose forward makes one.
/// A Scalar is kept alive when it is stored in a field, or in a local that the method disposes (<c>using</c>).
/// </summary>
public sealed class ScalarLifetimeTests
{
    private const string ScalarType = "TorchSharp.Scalar";
    private const string ScalarExtensions = "TorchSharp.ScalarExtensionMethods";

    private static readonly string[] OurAssemblies = ["Xbm.dll", "Xbm.Cli.dll", "Xbm.Tests.dll"];

    /// <summary>
    /// Test classes that build TorchSharp's own Adam, AdamW, SGD and BatchNorm2d on purpose, to check that ours give
    /// the same numbers: their calls into those modules are the point of the test, so the check of calls into
    /// TorchSharp skips them. Their own arithmetic is still checked for temporaries like every other method.
    /// Matched as the class or a type nested in it (lambdas).
    /// </summary>
    private static readonly string[] AllowedTypes =
    [
        "Xbm.Tests.Training.OptimizerParityTests",
        "Xbm.Tests.Models.BatchNormParityTests",
    ];

    private static bool IsAllowed(string methodKey) =>
        AllowedTypes.Any(t => methodKey.StartsWith(t + "::", StringComparison.Ordinal) || methodKey.StartsWith(t + "+", StringComparison.Ordinal));

    private static readonly Lazy<TorchSharpScan> TorchSharp = new(() => new TorchSharpScan(Path.Combine(AppContext.BaseDirectory, "TorchSharp.dll")));

    [Fact]
    public void TheScanFindsTheTemporariesThatCrashedTraining()
    {
        // The scan must see what made issue 12's runs abort: BatchNorm's num_batches_tracked.add_(1), the optimizers'
        // mul_(beta) and add_(grad, alpha), and the alpha hidden in tensor + tensor. Otherwise it proves nothing.
        var scan = TorchSharp.Value;
        Assert.Contains("TorchSharp.Modules.BatchNorm::forward(TorchSharp.torch+Tensor)", scan.Unsafe);
        Assert.Contains("TorchSharp.Modules.Adam::step(System.Func`1<TorchSharp.torch+Tensor>)", scan.Unsafe);
        Assert.Contains("TorchSharp.Modules.AdamW::step(System.Func`1<TorchSharp.torch+Tensor>)", scan.Unsafe);
        Assert.Contains("TorchSharp.Modules.SGD::step(System.Func`1<TorchSharp.torch+Tensor>)", scan.Unsafe);
        Assert.Contains("TorchSharp.torch+Tensor::op_Addition(TorchSharp.torch+Tensor,TorchSharp.torch+Tensor)", scan.Unsafe);
        Assert.Contains("TorchSharp.torch+Tensor::add_(TorchSharp.Scalar)", scan.Unsafe);
        // ... and must not flag what passes plain doubles to native code.
        Assert.DoesNotContain("TorchSharp.torch+nn+functional::batch_norm(TorchSharp.torch+Tensor,TorchSharp.torch+Tensor,TorchSharp.torch+Tensor,TorchSharp.torch+Tensor,TorchSharp.torch+Tensor,Boolean,Double,Double)", scan.Unsafe);
        Assert.DoesNotContain("TorchSharp.torch+Tensor::add_(TorchSharp.torch+Tensor,TorchSharp.Scalar)", scan.Unsafe);
        Assert.DoesNotContain("TorchSharp.torch+Tensor::sub(TorchSharp.torch+Tensor)", scan.Unsafe);
    }

    [Fact]
    public void OurCodeMakesNoTemporaryScalars()
    {
        var problems = new List<string>();
        foreach (string name in OurAssemblies)
        {
            using var assembly = new IlAssembly(Path.Combine(AppContext.BaseDirectory, name));
            problems.AddRange(TorchSharpScan.TemporaryScalars(assembly).Select(p => $"{p.Location}: {p.What}"));
        }
        Assert.True(problems.Count == 0,
            $"{problems.Count} temporary Scalars (use Scalars.* constants, or `using var s = value.ToScalar();`):\n" + string.Join("\n", problems.Distinct()));
    }

    [Fact]
    public void OurCodeCallsNoTorchSharpMethodThatMakesTemporaryScalars()
    {
        var scan = TorchSharp.Value;
        var problems = new List<string>();
        foreach (string name in OurAssemblies)
        {
            using var assembly = new IlAssembly(Path.Combine(AppContext.BaseDirectory, name));
            foreach (var method in assembly.Methods.Where(m => !IsAllowed(m.Key)))
                for (int i = 0; i < method.Instructions.Count; i++)
                {
                    var instruction = method.Instructions[i];
                    if (!TorchSharpScan.IsCallLike(instruction.OpCode))
                        continue;
                    string target = assembly.MethodKey(instruction.Token);
                    if (scan.Unsafe.Contains(target))
                        problems.Add($"{assembly.Location(method, instruction.Offset)}: calls {target}");
                    else if (instruction.OpCode == OpCodes.Newobj || target.StartsWith("TorchSharp.", StringComparison.Ordinal))
                        foreach (string module in scan.ModulesBuiltBy(target, instruction.OpCode == OpCodes.Newobj))
                            problems.Add($"{assembly.Location(method, instruction.Offset)}: builds {module}, whose forward or step makes temporary Scalars");
                }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} calls into TorchSharp that make temporary Scalars:\n" + string.Join("\n", problems.Distinct()));
    }

    /// <summary>What TorchSharp's IL says: the methods that make temporary Scalars, directly or through calls.</summary>
    private sealed class TorchSharpScan
    {
        private readonly Dictionary<string, IlMethod> _byKey;
        private readonly Dictionary<string, List<(OpCode Op, string Target)>> _calls;
        private readonly IReadOnlyDictionary<string, string> _bases;

        public TorchSharpScan(string path)
        {
            using var assembly = new IlAssembly(path);
            _byKey = assembly.Methods.GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.First());
            _calls = assembly.Methods.GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.SelectMany(m => m.Instructions
                .Where(i => IsCallLike(i.OpCode)).Select(i => (i.OpCode, assembly.MethodKey(i.Token)))).ToList());
            _bases = assembly.BaseTypes();
            var direct = TemporaryScalars(assembly).Select(p => p.Method).ToHashSet();
            // Callers of an unsafe method are unsafe: propagate to a fixed point over calls, newobj and ldftn (lambdas).
            var callers = new Dictionary<string, List<string>>();
            foreach (var (caller, targets) in _calls)
                foreach (var (_, target) in targets)
                    if (!IsCreator(target))
                        (callers.TryGetValue(target, out var list) ? list : callers[target] = []).Add(caller);
            var unsafeMethods = new HashSet<string>(direct);
            var work = new Queue<string>(direct);
            while (work.Count > 0)
                if (callers.TryGetValue(work.Dequeue(), out var list))
                    foreach (string caller in list)
                        if (unsafeMethods.Add(caller))
                            work.Enqueue(caller);
            Unsafe = unsafeMethods;
        }

        public IReadOnlySet<string> Unsafe { get; }

        /// <summary>
        /// Types built by a call to <paramref name="target"/> (a factory or a constructor) whose forward (modules) or
        /// step (optimizers) is unsafe: those run through virtual calls that the call graph does not follow.
        /// </summary>
        public IEnumerable<string> ModulesBuiltBy(string target, bool isConstructor)
        {
            var types = new HashSet<string>();
            if (isConstructor)
                types.Add(target.Split("::")[0]);
            if (_calls.TryGetValue(target, out var calls))
                foreach (var (op, callee) in calls)
                    if (op == OpCodes.Newobj)
                        types.Add(callee.Split("::")[0]);
            return types.Where(t => UnsafeEntryPoint(t, "forward") || UnsafeEntryPoint(t, "step"));
        }

        /// <summary>Whether the most derived TorchSharp declaration of <paramref name="name"/> on <paramref name="type"/> is unsafe.</summary>
        private bool UnsafeEntryPoint(string type, string name)
        {
            for (string? t = type; t is not null && t.StartsWith("TorchSharp.", StringComparison.Ordinal); t = _bases.GetValueOrDefault(t))
            {
                var forwards = _byKey.Keys.Where(k => k.StartsWith($"{t}::{name}(", StringComparison.Ordinal)).ToList();
                if (forwards.Count > 0)
                    return forwards.Any(Unsafe.Contains);
            }
            return false;
        }

        public static bool IsCallLike(OpCode op) =>
            op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Ldftn || op == OpCodes.Ldvirtftn;

        private static bool IsCreator(string method) =>
            method.StartsWith(ScalarType + "::op_Implicit(", StringComparison.Ordinal)
            || method.StartsWith(ScalarExtensions + "::ToScalar(", StringComparison.Ordinal);

        /// <summary>
        /// Each place in <paramref name="assembly"/> that makes a Scalar (implicit conversion or ToScalar) and does not
        /// keep it: not stored in a field, nor in a local that the same method disposes.
        /// </summary>
        public static IEnumerable<(string Method, string Location, string What)> TemporaryScalars(IlAssembly assembly)
        {
            foreach (var method in assembly.Methods)
            {
                if (method.TypeName is ScalarType or ScalarExtensions)
                    continue;
                var instructions = method.Instructions;
                HashSet<int>? disposed = null;
                for (int i = 0; i < instructions.Count; i++)
                {
                    var instruction = instructions[i];
                    if (!(instruction.OpCode == OpCodes.Call || instruction.OpCode == OpCodes.Callvirt) || !IsCreator(assembly.MethodKey(instruction.Token)))
                        continue;
                    var next = method.After(i);
                    if (next is { } n && (n.OpCode == OpCodes.Stsfld || n.OpCode == OpCodes.Stfld))
                        continue;
                    if (next is { } s && IsStoreLocal(s.OpCode) && (disposed ??= DisposedLocals(assembly, method)).Contains(s.Variable))
                        continue;
                    yield return (method.Key, assembly.Location(method, instruction.Offset), $"temporary Scalar from {assembly.MethodKey(instruction.Token)}");
                }
            }
        }

        private static bool IsStoreLocal(OpCode op) =>
            op == OpCodes.Stloc || op == OpCodes.Stloc_S || op == OpCodes.Stloc_0 || op == OpCodes.Stloc_1 || op == OpCodes.Stloc_2 || op == OpCodes.Stloc_3;

        private static bool IsLoadLocal(OpCode op) =>
            op == OpCodes.Ldloc || op == OpCodes.Ldloc_S || op == OpCodes.Ldloc_0 || op == OpCodes.Ldloc_1 || op == OpCodes.Ldloc_2 || op == OpCodes.Ldloc_3;

        /// <summary>Locals that the method passes to Dispose (the code a <c>using</c> declaration compiles to).</summary>
        private static HashSet<int> DisposedLocals(IlAssembly assembly, IlMethod method)
        {
            var result = new HashSet<int>();
            var instructions = method.Instructions;
            for (int i = 0; i + 1 < instructions.Count; i++)
                if (IsLoadLocal(instructions[i].OpCode) && instructions[i + 1].OpCode is var op && (op == OpCodes.Callvirt || op == OpCodes.Call)
                    && assembly.MethodKey(instructions[i + 1].Token) is "System.IDisposable::Dispose()" or ScalarType + "::Dispose()")
                    result.Add(instructions[i].Variable);
            return result;
        }
    }
}
