using System.Runtime.InteropServices;

namespace Xbm.Distributed;

/// <summary>
/// The collective over MPI, a thin P/Invoke layer on Open MPI's C library (libmpi.so.40, Open MPI 4.x), for ranks
/// started by <c>mpirun</c>. Open MPI's handles are addresses of exported objects (MPI_COMM_WORLD is
/// <c>&amp;ompi_mpi_comm_world</c>, MPI_FLOAT <c>&amp;ompi_mpi_float</c>, MPI_SUM <c>&amp;ompi_mpi_op_sum</c>), taken with
/// <see cref="NativeLibrary.GetExport"/>. Errors abort the job (MPI's default handler, MPI_ERRORS_ARE_FATAL), so a
/// failed or killed rank ends every rank. One instance per process: MPI cannot be initialised twice.
/// </summary>
public sealed class MpiCollective : ICollective
{
    private const string Library = "libmpi.so.40";
    private const int ThreadSerialized = 2, RtldNow = 2, RtldGlobal = 0x100;
    private static readonly IntPtr InPlace = 1; // Open MPI's MPI_IN_PLACE is ((void *) 1)
    private readonly IntPtr _world, _float, _double, _int64, _sum;
    private bool _finalized;

    /// <summary>Initialises MPI (MPI_Init_thread, serialized: calls may come from any thread, one at a time).</summary>
    /// <exception cref="InvalidOperationException">libmpi.so.40 cannot be loaded or MPI fails to start.</exception>
    public MpiCollective()
    {
        // Open MPI's plugins resolve libmpi's symbols globally: load it RTLD_GLOBAL before anything else binds it.
        IntPtr handle = dlopen(Library, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
            throw new InvalidOperationException($"{Library} could not be loaded ({Marshal.PtrToStringAnsi(dlerror())}): install Open MPI 4 (apt-get install openmpi-bin libopenmpi-dev)");
        _world = NativeLibrary.GetExport(handle, "ompi_mpi_comm_world");
        _float = NativeLibrary.GetExport(handle, "ompi_mpi_float");
        _double = NativeLibrary.GetExport(handle, "ompi_mpi_double");
        _int64 = NativeLibrary.GetExport(handle, "ompi_mpi_int64_t");
        _sum = NativeLibrary.GetExport(handle, "ompi_mpi_op_sum");
        Check(MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, ThreadSerialized, out int provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
        {
            MPI_Finalize();
            throw new InvalidOperationException($"MPI provides thread level {provided}, training needs {ThreadSerialized} (MPI_THREAD_SERIALIZED)");
        }
        Check(MPI_Comm_rank(_world, out int rank), "MPI_Comm_rank");
        Check(MPI_Comm_size(_world, out int size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    /// <summary>True when this process was started by Open MPI's <c>mpirun</c> (OMPI_COMM_WORLD_SIZE is set).</summary>
    public static bool LaunchedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public void AllGather(float[] send, float[] receive)
    {
        CheckGather(send.Length, receive.Length);
        Check(MPI_Allgather(send, send.Length, _float, receive, send.Length, _float, _world), "MPI_Allgather");
    }

    /// <inheritdoc />
    public void AllGather(long[] send, long[] receive)
    {
        CheckGather(send.Length, receive.Length);
        Check(MPI_Allgather(send, send.Length, _int64, receive, send.Length, _int64, _world), "MPI_Allgather");
    }

    /// <inheritdoc />
    public void AllReduceSum(float[] buffer) =>
        Check(MPI_Allreduce(InPlace, buffer, buffer.Length, _float, _sum, _world), "MPI_Allreduce");

    /// <inheritdoc />
    public void AllReduceSum(double[] buffer) =>
        Check(MPI_Allreduce(InPlace, buffer, buffer.Length, _double, _sum, _world), "MPI_Allreduce");

    /// <inheritdoc />
    public void Broadcast(float[] buffer, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        Check(MPI_Bcast(buffer, buffer.Length, _float, root, _world), "MPI_Bcast");
    }

    /// <inheritdoc />
    public void Barrier() => Check(MPI_Barrier(_world), "MPI_Barrier");

    /// <inheritdoc />
    public void Abort(int exitCode) => MPI_Abort(_world, exitCode);

    /// <summary>Finalises MPI (collectively: every rank must dispose).</summary>
    public void Dispose()
    {
        if (_finalized)
            return;
        _finalized = true;
        MPI_Finalize();
    }

    private void CheckGather(int send, int receive)
    {
        if ((long)send * Size != receive)
            throw new ArgumentException($"{Size} ranks of {send} values do not fill {receive}", nameof(receive));
    }

    private static void Check(int code, string call)
    {
        if (code != 0)
            throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }

    [DllImport("libc")]
    private static extern IntPtr dlopen(string file, int mode);

    [DllImport("libc")]
    private static extern IntPtr dlerror();

    [DllImport(Library)]
    private static extern int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);

    [DllImport(Library)]
    private static extern int MPI_Comm_rank(IntPtr comm, out int rank);

    [DllImport(Library)]
    private static extern int MPI_Comm_size(IntPtr comm, out int size);

    [DllImport(Library)]
    private static extern int MPI_Allgather(float[] send, int sendCount, IntPtr sendType, float[] receive, int receiveCount, IntPtr receiveType, IntPtr comm);

    [DllImport(Library)]
    private static extern int MPI_Allgather(long[] send, int sendCount, IntPtr sendType, long[] receive, int receiveCount, IntPtr receiveType, IntPtr comm);

    [DllImport(Library)]
    private static extern int MPI_Allreduce(IntPtr send, float[] receive, int count, IntPtr type, IntPtr op, IntPtr comm);

    [DllImport(Library)]
    private static extern int MPI_Allreduce(IntPtr send, double[] receive, int count, IntPtr type, IntPtr op, IntPtr comm);

    [DllImport(Library)]
    private static extern int MPI_Bcast(float[] buffer, int count, IntPtr type, int root, IntPtr comm);

    [DllImport(Library)]
    private static extern int MPI_Barrier(IntPtr comm);

    [DllImport(Library)]
    private static extern int MPI_Abort(IntPtr comm, int code);

    [DllImport(Library)]
    private static extern int MPI_Finalize();
}
