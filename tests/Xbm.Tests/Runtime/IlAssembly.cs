using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Xbm.Tests.Runtime;

/// <summary>One IL instruction of a method body: its offset, opcode and (for tokens) the operand token.</summary>
internal readonly record struct IlInstruction(int Offset, OpCode OpCode, int Token, int Variable);

/// <summary>A method body read from an assembly, with the name of every method and field its instructions name.</summary>
internal sealed record IlMethod(string Key, string TypeName, MethodDefinitionHandle Handle, IReadOnlyList<IlInstruction> Instructions)
{
    /// <summary>The instruction after index <paramref name="i"/>, or null.</summary>
    public IlInstruction? After(int i) => i + 1 < Instructions.Count ? Instructions[i + 1] : null;
}

/// <summary>
/// Reads every method body of an assembly with System.Reflection.Metadata, naming methods as
/// "Namespace.Type::Name(ParameterTypes)" so that a call site in one assembly and the definition in another get the
/// same key. Maps IL offsets to source lines through the portable PDB beside the assembly, when there is one.
/// </summary>
internal sealed class IlAssembly : IDisposable
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private readonly PEReader _pe;
    private readonly MetadataReaderProvider? _pdb;
    private readonly SignatureNames _names;

    public IlAssembly(string path)
    {
        _pe = new PEReader(File.OpenRead(path));
        Reader = _pe.GetMetadataReader();
        _names = new SignatureNames();
        string pdb = Path.ChangeExtension(path, ".pdb");
        if (File.Exists(pdb))
            _pdb = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdb));
        Methods = ReadMethods().ToList();
    }

    public MetadataReader Reader { get; }

    /// <summary>Every method with a body.</summary>
    public IReadOnlyList<IlMethod> Methods { get; }

    /// <summary>The key of the method a call, newobj or ldftn token names.</summary>
    public string MethodKey(int token)
    {
        var handle = MetadataTokens.EntityHandle(token);
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
            {
                var method = Reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                return Key(TypeName(method.GetDeclaringType()), Reader.GetString(method.Name), method.DecodeSignature(_names, null));
            }
            case HandleKind.MemberReference:
            {
                var member = Reader.GetMemberReference((MemberReferenceHandle)handle);
                if (member.GetKind() != MemberReferenceKind.Method)
                    return "";
                string type = member.Parent.Kind switch
                {
                    HandleKind.TypeReference => TypeName((TypeReferenceHandle)member.Parent),
                    HandleKind.TypeDefinition => TypeName((TypeDefinitionHandle)member.Parent),
                    HandleKind.TypeSpecification => Reader.GetTypeSpecification((TypeSpecificationHandle)member.Parent).DecodeSignature(_names, null).Split('<')[0],
                    _ => "?",
                };
                return Key(type, Reader.GetString(member.Name), member.DecodeMethodSignature(_names, null));
            }
            case HandleKind.MethodSpecification:
                return MethodKey(MetadataTokens.GetToken(Reader.GetMethodSpecification((MethodSpecificationHandle)handle).Method));
            default:
                return "";
        }
    }

    /// <summary>The declaring type of the method a token names (for newobj: the type constructed).</summary>
    public string DeclaringType(int token) => MethodKey(token).Split("::")[0];

    /// <summary>Each type defined here with the name of its base type (generic arguments dropped).</summary>
    public IReadOnlyDictionary<string, string> BaseTypes()
    {
        var result = new Dictionary<string, string>();
        foreach (var handle in Reader.TypeDefinitions)
        {
            var baseType = Reader.GetTypeDefinition(handle).BaseType;
            if (baseType.IsNil)
                continue;
            string? name = baseType.Kind switch
            {
                HandleKind.TypeDefinition => TypeName((TypeDefinitionHandle)baseType),
                HandleKind.TypeReference => TypeName((TypeReferenceHandle)baseType),
                HandleKind.TypeSpecification => Reader.GetTypeSpecification((TypeSpecificationHandle)baseType).DecodeSignature(_names, null).Split('<')[0],
                _ => null,
            };
            if (name is not null)
                result[TypeName(handle)] = name;
        }
        return result;
    }

    /// <summary>"file:line" of the instruction at <paramref name="offset"/> in <paramref name="method"/>, or the method's key.</summary>
    public string Location(IlMethod method, int offset)
    {
        if (_pdb is null)
            return method.Key;
        var pdb = _pdb.GetMetadataReader();
        var info = pdb.GetMethodDebugInformation(method.Handle.ToDebugInformationHandle());
        SequencePoint? best = null;
        foreach (var point in info.GetSequencePoints())
            if (!point.IsHidden && point.Offset <= offset)
                best = point;
        if (best is not { } p)
            return method.Key;
        string file = pdb.GetString(pdb.GetDocument(p.Document).Name);
        int src = file.IndexOf("/src/", StringComparison.Ordinal);
        return $"{(src >= 0 ? file[(src + 1)..] : Path.GetFileName(file))}:{p.StartLine} ({method.Key})";
    }

    private IEnumerable<IlMethod> ReadMethods()
    {
        foreach (var typeHandle in Reader.TypeDefinitions)
        {
            var type = Reader.GetTypeDefinition(typeHandle);
            string typeName = TypeName(typeHandle);
            foreach (var handle in type.GetMethods())
            {
                var method = Reader.GetMethodDefinition(handle);
                if (method.RelativeVirtualAddress == 0)
                    continue;
                var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
                string key = Key(typeName, Reader.GetString(method.Name), method.DecodeSignature(_names, null));
                yield return new IlMethod(key, typeName, handle, Decode(body.GetILBytes()!));
            }
        }
    }

    private static List<IlInstruction> Decode(byte[] il)
    {
        var result = new List<IlInstruction>();
        int i = 0;
        while (i < il.Length)
        {
            int offset = i;
            short value = il[i++];
            if (value == 0xFE)
                value = (short)(0xFE00 | il[i++]);
            var op = OpCodesByValue[value];
            int token = 0, variable = -1;
            switch (op.OperandType)
            {
                case OperandType.InlineNone:
                    variable = ImplicitVariable(op);
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                    i += 1;
                    break;
                case OperandType.ShortInlineVar:
                    variable = il[i];
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    variable = BitConverter.ToUInt16(il, i);
                    i += 2;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = BitConverter.ToInt32(il, i);
                    i += 4 + 4 * count;
                    break;
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    token = BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                default:
                    i += 4;
                    break;
            }
            result.Add(new IlInstruction(offset, op, token, variable));
        }
        return result;
    }

    /// <summary>The local index of ldloc.0–3 / stloc.0–3, else -1.</summary>
    private static int ImplicitVariable(OpCode op)
    {
        if (op == OpCodes.Ldloc_0 || op == OpCodes.Stloc_0) return 0;
        if (op == OpCodes.Ldloc_1 || op == OpCodes.Stloc_1) return 1;
        if (op == OpCodes.Ldloc_2 || op == OpCodes.Stloc_2) return 2;
        if (op == OpCodes.Ldloc_3 || op == OpCodes.Stloc_3) return 3;
        return -1;
    }

    private static string Key(string type, string name, MethodSignature<string> signature) =>
        $"{type}::{name}({string.Join(",", signature.ParameterTypes)})";

    private string TypeName(TypeDefinitionHandle handle)
    {
        var type = Reader.GetTypeDefinition(handle);
        string name = Reader.GetString(type.Name);
        var outer = type.GetDeclaringType();
        if (!outer.IsNil)
            return TypeName(outer) + "+" + name;
        string ns = Reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private string TypeName(TypeReferenceHandle handle)
    {
        var type = Reader.GetTypeReference(handle);
        string name = Reader.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            return TypeName((TypeReferenceHandle)type.ResolutionScope) + "+" + name;
        string ns = Reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public void Dispose()
    {
        _pe.Dispose();
        _pdb?.Dispose();
    }

    /// <summary>Type names for signatures, the same in every assembly (generic arguments dropped from type definitions).</summary>
    private sealed class SignatureNames : ISignatureTypeProvider<string, object?>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = r.GetTypeDefinition(handle);
            string name = r.GetString(type.Name);
            var outer = type.GetDeclaringType();
            if (!outer.IsNil)
                return GetTypeFromDefinition(r, outer, 0) + "+" + name;
            string ns = r.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }
        public string GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = r.GetTypeReference(handle);
            string name = r.GetString(type.Name);
            if (type.ResolutionScope.Kind == HandleKind.TypeReference)
                return GetTypeFromReference(r, (TypeReferenceHandle)type.ResolutionScope, 0) + "+" + name;
            string ns = r.GetString(type.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }
        public string GetTypeFromSpecification(MetadataReader r, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            r.GetTypeSpecification(handle).DecodeSignature(this, context);
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType + "<" + string.Join(",", typeArguments) + ">";
        public string GetGenericTypeParameter(object? context, int index) => "!" + index;
        public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    }
}
