/*
 * MKL dispatch shim (src/Xbm/Runtime/MklDispatch.cs, docs/benchmarks.md "MKL's code path on AMD processors").
 *
 * libtorch's CPU build links Intel MKL for its matrix products. MKL asks mkl_serv_intel_cpu_true() whether the
 * processor is Intel's and, when it is not, runs its generic kernels, whatever instructions the processor has.
 * libtorch_cpu.so calls that function through its PLT, so a definition loaded earlier into the global scope (this
 * library, opened with RTLD_GLOBAL before libtorch's first product) takes its place: MKL then chooses its kernels by
 * the instruction set the processor reports (AVX-512 on AMD Zen 4 and 5), as it does on Intel processors.
 *
 * Built without the C library (-nostdlib): nothing here calls it.
 */

static volatile int calls;

/* MKL's "is this an Intel processor?" query: yes, so that MKL dispatches on the reported instruction set. */
int mkl_serv_intel_cpu_true(void)
{
    calls++;
    return 1;
}

/* How many times MKL has asked: tests check that libtorch's MKL reached this definition. */
int xbm_mkl_dispatch_calls(void)
{
    return calls;
}
