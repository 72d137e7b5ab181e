using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ActorNet.Numerics;

/// <summary>
/// Fast dense-layer products: cache-blocked, register-tiled SIMD matrix multiplication in the
/// style of Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM TOMS
/// 34(3), 2008) and BLIS (Van Zee and van de Geijn, ACM TOMS 41(3), 2015). All three products
/// reduce to one kernel, C += A·B, with each operand read either as stored or transposed, so
/// that none of the callers' matrices has to be transposed in memory first.
/// <para>
/// Same signatures, checks and meaning as <see cref="DenseReference"/>, which defines the right
/// answer; results agree with it to rounding (the summation order differs). Single-threaded and
/// deterministic: the same inputs give bit-for-bit the same outputs on every call on the same
/// machine (the blocking depends only on the shape and on which SIMD width the CPU has).
/// float and double take the SIMD path; any other IEEE type falls back to the reference loops.
/// </para>
/// </summary>
public static class Dense
{
    /// <summary>y = x·Wᵀ + b.
    /// x: (batch, inputs), w: (outputs, inputs), b: (outputs), y: (batch, outputs). Overwrites y.</summary>
    public static unsafe void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias,
        int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChecks.Forward(output.Length, input.Length, weights.Length, bias.Length, batch, inputs, outputs);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            DenseReference.Forward(output, input, weights, bias, batch, inputs, outputs);
            return;
        }

        // y starts as the bias in every row; the kernel then accumulates x·Wᵀ onto it.
        for (var n = 0; n < batch; n++) bias.CopyTo(output.Slice(n * outputs, outputs));
        if (batch == 0 || inputs == 0 || outputs == 0) return;

        var isa = CurrentIsa;
        fixed (T* y = output)
        fixed (T* x = input)
        fixed (T* w = weights)
        {
            // Both x and W are stored with the summed index (inputs) contiguous, so one of them
            // must be read transposed, and that operand is packed by a transpose. Two ways to
            // set the product up:
            //   direct:     C = y  (batch × outputs) = x · Wᵀ, transposing W (outputs·inputs elements);
            //   transposed: C = yᵀ (outputs × batch) = W · xᵀ, transposing x (batch·inputs elements)
            //               and scattering the result tiles into y transposed.
            // Pick the cheaper by a rough cycle count: vector multiply-adds including the padding
            // of the register tile (which is what makes yᵀ win for a thin layer such as 128 → 10:
            // 10 outputs fill 10 of 12 rows but only 10 of 32 columns), plus the transpose (about
            // a quarter cycle per element with AVX blocks, one without) and the scalar scatter of
            // yᵀ tiles (about two per element per depth block).
            int mr = MR, nr = NR<T>(isa);
            var lanes = (double)nr / 2;
            var transpose = Avx.IsSupported ? 0.25 : 1.0;
            var direct = (double)RoundUp(batch, mr) * RoundUp(outputs, nr) * inputs / lanes + transpose * outputs * inputs;
            var transposed = (double)RoundUp(outputs, mr) * RoundUp(batch, nr) * inputs / lanes + transpose * batch * inputs
                             + 2.0 * batch * outputs * Math.Ceiling((double)inputs / KCTransposedC);
            var useTransposed = ForwardTransposedOverride ?? transposed < direct;
            if (!useTransposed)
                Gemm(isa, batch, outputs, inputs, x, inputs, false, w, inputs, true, y, outputs, false);
            else
                Gemm(isa, outputs, batch, inputs, w, inputs, false, x, inputs, true, y, outputs, true);
        }
    }

    /// <summary>dW += δᵀ·x ; db += Σ over rows of δ.
    /// δ: (batch, outputs), x: (batch, inputs), dW: (outputs, inputs), db: (outputs).
    /// Accumulates into dW and db (callers sum several micro-batches into one buffer).</summary>
    public static unsafe void AccumulateWeightGradients<T>(Span<T> weightGradients, Span<T> biasGradients, ReadOnlySpan<T> delta,
        ReadOnlySpan<T> input, int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChecks.WeightGradients(weightGradients.Length, biasGradients.Length, delta.Length, input.Length, batch, inputs, outputs);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            DenseReference.AccumulateWeightGradients(weightGradients, biasGradients, delta, input, batch, inputs, outputs);
            return;
        }

        // db: add the rows of δ one after another (vectorised along outputs).
        for (var n = 0; n < batch; n++) AddInPlace(biasGradients, delta.Slice(n * outputs, outputs));
        if (batch == 0 || inputs == 0 || outputs == 0) return;

        fixed (T* dw = weightGradients)
        fixed (T* d = delta)
        fixed (T* x = input)
        {
            // C = dW (outputs × inputs), A = δᵀ read transposed from δ (batch × outputs: packing an
            // A sliver reads MR contiguous values per row of δ, cheap), B = x as stored.
            Gemm(CurrentIsa, outputs, inputs, batch, d, outputs, true, x, inputs, false, dw, inputs, false);
        }
    }

    /// <summary>dx = δ·W.
    /// δ: (batch, outputs), w: (outputs, inputs), dx: (batch, inputs). Overwrites dx.</summary>
    public static unsafe void InputGradients<T>(Span<T> inputGradients, ReadOnlySpan<T> delta, ReadOnlySpan<T> weights,
        int batch, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChecks.InputGradients(inputGradients.Length, delta.Length, weights.Length, batch, inputs, outputs);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            DenseReference.InputGradients(inputGradients, delta, weights, batch, inputs, outputs);
            return;
        }

        inputGradients.Clear();
        if (batch == 0 || inputs == 0 || outputs == 0) return;

        fixed (T* dx = inputGradients)
        fixed (T* d = delta)
        fixed (T* w = weights)
        {
            // C = dx (batch × inputs), A = δ as stored, B = W as stored: no transposes at all.
            Gemm(CurrentIsa, batch, inputs, outputs, d, outputs, false, w, inputs, false, dx, inputs, false);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Instruction set selection

    /// <summary>Which SIMD microkernel runs. Vector512 needs AVX-512F and the runtime's judgement
    /// that 512-bit vectors are worth it (<see cref="Vector512.IsHardwareAccelerated"/> is false on
    /// CPUs that throttle on them); Vector256 needs AVX2 with FMA; Vector128 is the portable
    /// fallback (SSE on x64, AdvSimd on Arm64) with a multiply-add that is fused where the
    /// hardware can.</summary>
    internal enum Isa { Vector128, Vector256, Vector512 }

    internal static readonly Isa DetectedIsa =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Isa.Vector512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? Isa.Vector256
        : Isa.Vector128;

    /// <summary>For tests: run a narrower microkernel than the CPU supports, on this thread only,
    /// so that every path is exercised on a machine that has the widest one.</summary>
    [ThreadStatic] internal static Isa? IsaOverride;

    /// <summary>For tests: force <see cref="Forward{T}"/> to compute y directly (false) or as yᵀ
    /// (true) on this thread, so that both set-ups are checked on every shape.</summary>
    [ThreadStatic] internal static bool? ForwardTransposedOverride;

    private static Isa CurrentIsa
    {
        get
        {
            var o = IsaOverride;
            return o is { } isa && isa < DetectedIsa ? isa : DetectedIsa;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Blocking

    /// <summary>Rows of the register tile. The tile is MR × NR with NR two vectors wide, so the
    /// microkernel keeps 6·2 = 12 vector accumulators, plus 2 for the row of B and 1 for the
    /// broadcast of A: 15 registers, which fits the 16 of AVX2 (the classic 6×16 sgemm tile) and
    /// leaves the 512-bit kernel room. 12 independent FMA chains also cover the FMA latency
    /// (4 cycles on Zen 4/5 and recent Intel) times the two FMA pipes (512 bits wide each on
    /// Zen 5, the benchmark machine).</summary>
    private const int MR = 6;

    /// <summary>Columns of the register tile: two vectors.</summary>
    private static int NR<T>(Isa isa) where T : unmanaged => isa switch
    {
        Isa.Vector512 => 2 * Vector512<byte>.Count,
        Isa.Vector256 => 2 * Vector256<byte>.Count,
        _ => 2 * Vector128<byte>.Count,
    } / Unsafe.SizeOf<T>();

    /// <summary>Depth of a block (the summed dimension). An A sliver (MR × KC) then takes
    /// 6 KiB (float) or 12 KiB (double) and stays in the 32 KiB L1 while the microkernel sweeps
    /// it across every B sliver; a B sliver (KC × NR) streams from L2.</summary>
    private const int KC = 256;

    /// <summary>Depth of a block when C is written transposed. Each block ends in a scalar
    /// scatter of every tile into C, so fewer, deeper blocks pay off there; 512 keeps an A sliver
    /// (12 KiB float) within L1 still.</summary>
    private const int KCTransposedC = 512;

    /// <summary>Bytes of one packed B block (KC × NC), sized to sit in half of a 1 MiB L2
    /// (Zen 4; 1.25-2 MiB on recent Intel) next to whatever else is there.</summary>
    private const int PackedBBytes = 512 * 1024;

    /// <summary>Width of a B block, from the depth actually used: a shallow product (say a
    /// batch of 64 as the depth of the weight gradients) gets a wide block, so A slivers are
    /// packed fewer times.</summary>
    private static int NC<T>(Isa isa, int kc) where T : unmanaged
    {
        var nr = NR<T>(isa);
        return Math.Max(nr, PackedBBytes / (Math.Max(kc, 1) * Unsafe.SizeOf<T>()) / nr * nr);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Splits <paramref name="total"/> into the fewest blocks of at most
    /// <paramref name="max"/>, of nearly equal size (rounded up to <paramref name="multiple"/>),
    /// so that e.g. a depth of 784 runs as 4 × 196 rather than 3 × 256 + 16: a thin last block
    /// would pay the load and store of C for little work.</summary>
    private static int BlockSize(int total, int max, int multiple)
    {
        var blocks = (total + max - 1) / max;
        return Math.Min(max, RoundUp((total + blocks - 1) / blocks, multiple));
    }

    // ---------------------------------------------------------------------------------------
    // The one product: C += A·B

    /// <summary>
    /// C += A·B with C: (m, n), A: (m, k), B: (k, n), where
    /// A(i, p) = aTrans ? a[p·lda + i] : a[i·lda + p],
    /// B(p, j) = bTrans ? b[j·ldb + p] : b[p·ldb + j],
    /// C(i, j) lives at cTrans ? c[j·ldc + i] : c[i·ldc + j].
    /// <para>
    /// Loop nest (BLIS, with the roles of A and B swapped because our C is row-major and the
    /// vector runs along a row): for each NC-wide column block and KC-deep slice, pack that
    /// block of B into NR-wide slivers (each KC × NR, contiguous, zero-padded), which stays in
    /// L2; then for each MR-row sliver of A (in L1: read in place when A is stored row-major
    /// and the sliver is whole, else packed) run the microkernel across every B sliver.
    /// The order of additions depends only on the shape, hence determinism.
    /// </para>
    /// </summary>
    private static unsafe void Gemm<T>(Isa isa, int m, int n, int k,
        T* a, nint lda, bool aTrans, T* b, nint ldb, bool bTrans, T* c, nint ldc, bool cTrans)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var nr = NR<T>(isa);
        var kcMax = BlockSize(k, cTrans ? KCTransposedC : KC, 1);
        var ncMax = BlockSize(n, NC<T>(isa, kcMax), nr);

        // One per-thread buffer, 64-byte aligned: packed B block, packed A sliver, and an
        // MR × NR tile for edge and transposed stores.
        var packedB = Workspace<T>.Get(kcMax * ncMax + MR * kcMax + MR * nr);
        var packedA = packedB + (nint)kcMax * ncMax;
        var tile = packedA + (nint)MR * kcMax;

        for (var jc = 0; jc < n; jc += ncMax)
        {
            var nc = Math.Min(ncMax, n - jc);
            for (var pc = 0; pc < k; pc += kcMax)
            {
                var kc = Math.Min(kcMax, k - pc);
                if (bTrans) PackBTransposed(isa, packedB, b + jc * ldb + pc, ldb, kc, nc, nr);
                else PackB(isa, packedB, b + pc * ldb + jc, ldb, kc, nc, nr);

                for (var ic = 0; ic < m; ic += MR)
                {
                    var mc = Math.Min(MR, m - ic);
                    T* aSliver;
                    nint aStride;
                    if (!aTrans && mc == MR)
                    {
                        aSliver = a + ic * lda + pc;
                        aStride = lda;
                    }
                    else
                    {
                        PackA(packedA, a, lda, aTrans, ic, pc, mc, kc);
                        aSliver = packedA;
                        aStride = kc;
                    }

                    for (var jr = 0; jr < nc; jr += nr)
                    {
                        var ncr = Math.Min(nr, nc - jr);
                        var bSliver = packedB + (nint)jr * kc;
                        var direct = !cTrans && mc == MR && ncr == nr;
                        var cTile = cTrans ? c + (jc + jr) * ldc + ic : c + ic * ldc + jc + jr;
                        switch (isa)
                        {
                            case Isa.Vector512: Micro512(kc, aSliver, aStride, bSliver, direct ? cTile : tile, direct ? ldc : nr, direct); break;
                            case Isa.Vector256: Micro256(kc, aSliver, aStride, bSliver, direct ? cTile : tile, direct ? ldc : nr, direct); break;
                            default: Micro128(kc, aSliver, aStride, bSliver, direct ? cTile : tile, direct ? ldc : nr, direct); break;
                        }

                        if (!direct) AddTile(cTile, ldc, cTrans, tile, nr, mc, ncr);
                    }
                }
            }
        }
    }

    /// <summary>C += the valid mc × nc corner of a tile (row stride nr), C read as stored or
    /// transposed. For edge tiles and for the transposed product, where a whole-vector store
    /// would run past the matrix or the vector runs the wrong way.</summary>
    private static unsafe void AddTile<T>(T* c, nint ldc, bool cTrans, T* tile, int nr, int mc, int nc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (cTrans)
        {
            // Column j of the tile is a contiguous run of mc values in C.
            if (mc == MR)
            {
                for (var j = 0; j < nc; j++, c += ldc, tile++)
                {
                    c[0] += tile[0];
                    c[1] += tile[nr];
                    c[2] += tile[2 * nr];
                    c[3] += tile[3 * nr];
                    c[4] += tile[4 * nr];
                    c[5] += tile[5 * nr];
                }
            }
            else
            {
                for (var j = 0; j < nc; j++, c += ldc, tile++)
                    for (var i = 0; i < mc; i++) c[i] += tile[i * nr];
            }
        }
        else
        {
            for (var i = 0; i < mc; i++, c += ldc, tile += nr)
                for (var j = 0; j < nc; j++) c[j] += tile[j];
        }
    }

    /// <summary>Packs B (kc × nc, stored row-major with stride ldb) into NR-wide slivers, each
    /// kc × NR contiguous, the last one zero-padded: the microkernel then loads one row of its
    /// sliver as two aligned vectors per step.</summary>
    private static unsafe void PackB<T>(Isa isa, T* dst, T* b, nint ldb, int kc, int nc, int nr) where T : unmanaged
    {
        for (var j0 = 0; j0 < nc; j0 += nr)
        {
            var w = Math.Min(nr, nc - j0);
            var src = b + j0;
            if (w == nr)
            {
                for (var p = 0; p < kc; p++, src += ldb, dst += nr) CopyRow(isa, dst, src);
            }
            else
            {
                for (var p = 0; p < kc; p++, src += ldb, dst += nr)
                {
                    var j = 0;
                    for (; j < w; j++) dst[j] = src[j];
                    for (; j < nr; j++) dst[j] = default;
                }
            }
        }
    }

    /// <summary>Copies NR contiguous elements (two vectors) of a B row into its packed sliver.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRow<T>(Isa isa, T* dst, T* src) where T : unmanaged
    {
        switch (isa)
        {
            case Isa.Vector512:
                Vector512.Store(Vector512.Load((byte*)src), (byte*)dst);
                Vector512.Store(Vector512.Load((byte*)src + 64), (byte*)dst + 64);
                break;
            case Isa.Vector256:
                Vector256.Store(Vector256.Load((byte*)src), (byte*)dst);
                Vector256.Store(Vector256.Load((byte*)src + 32), (byte*)dst + 32);
                break;
            default:
                Vector128.Store(Vector128.Load((byte*)src), (byte*)dst);
                Vector128.Store(Vector128.Load((byte*)src + 16), (byte*)dst + 16);
                break;
        }
    }

    /// <summary>Packs B read transposed, B(p, j) = b[j·ldb + p], into the same sliver layout.
    /// This is a transpose, and on the scalar path it cost as much as the arithmetic for thin
    /// layers (128 → 10) and ~8% of Forward at batch 256 (perf), so with AVX it runs as square
    /// in-register transposes of 256-bit blocks (8 × 8 float, 4 × 4 double): eight or four
    /// row loads, twenty-four or eight shuffles, as many stores. Edges fall to scalar.</summary>
    private static unsafe void PackBTransposed<T>(Isa isa, T* dst, T* b, nint ldb, int kc, int nc, int nr) where T : unmanaged
    {
        _ = isa;
        var t = Avx.IsSupported ? Vector256<T>.Count : int.MaxValue; // the square block's side (none without AVX)
        for (var j0 = 0; j0 < nc; j0 += nr, dst += (nint)kc * nr)
        {
            var w = Math.Min(nr, nc - j0);
            var j = 0;
            for (; t <= w - j; j += t)
            {
                var s = b + (j0 + j) * ldb;
                var p = 0;
                for (; t <= kc - p; p += t) TransposeBlock(s + p, ldb, dst + p * nr + j, nr);
                for (; p < kc; p++)
                    for (var jj = 0; jj < t; jj++) dst[p * nr + j + jj] = s[jj * ldb + p];
            }

            for (; j < w; j++)
            {
                var s = b + (j0 + j) * ldb;
                var d = dst + j;
                for (var p = 0; p < kc; p++, d += nr) *d = s[p];
            }

            if (w < nr)
            {
                for (var p = 0; p < kc; p++)
                for (var jj = w; jj < nr; jj++)
                    dst[p * nr + jj] = default;
            }
        }
    }

    /// <summary>dst[r·ldd + i] = src[i·lds + r] for a square block of one 256-bit vector a side
    /// (8 floats or 4 doubles): the usual unpack / shuffle / lane-permute transpose.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TransposeBlock<T>(T* src, nint lds, T* dst, nint ldd) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var s = (float*)src;
            var d = (float*)dst;
            var r0 = Avx.LoadVector256(s);
            var r1 = Avx.LoadVector256(s + lds);
            var r2 = Avx.LoadVector256(s + 2 * lds);
            var r3 = Avx.LoadVector256(s + 3 * lds);
            var r4 = Avx.LoadVector256(s + 4 * lds);
            var r5 = Avx.LoadVector256(s + 5 * lds);
            var r6 = Avx.LoadVector256(s + 6 * lds);
            var r7 = Avx.LoadVector256(s + 7 * lds);
            // [a00 a10 a01 a11 | a04 a14 a05 a15] etc.
            var t0 = Avx.UnpackLow(r0, r1);
            var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5);
            var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7);
            var t7 = Avx.UnpackHigh(r6, r7);
            // [a00 a10 a20 a30 | a04 a14 a24 a34] etc.
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44);
            var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44);
            var u7 = Avx.Shuffle(t5, t7, 0xEE);
            // Whole columns: low halves give columns 0-3, high halves 4-7.
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
        }
        else if (typeof(T) == typeof(double))
        {
            var s = (double*)src;
            var d = (double*)dst;
            var r0 = Avx.LoadVector256(s);
            var r1 = Avx.LoadVector256(s + lds);
            var r2 = Avx.LoadVector256(s + 2 * lds);
            var r3 = Avx.LoadVector256(s + 3 * lds);
            var t0 = Avx.UnpackLow(r0, r1);  // [a00 a10 | a02 a12]
            var t1 = Avx.UnpackHigh(r0, r1); // [a01 a11 | a03 a13]
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
            Avx.Store(d + ldd, Avx.Permute2x128(t1, t3, 0x20));
            Avx.Store(d + 2 * ldd, Avx.Permute2x128(t0, t2, 0x31));
            Avx.Store(d + 3 * ldd, Avx.Permute2x128(t1, t3, 0x31));
        }
        else
        {
            throw new NotSupportedException();
        }
    }

    /// <summary>Packs an MR × kc sliver of A (rows ic.., depth pc..) row-major with stride kc,
    /// rows past mc zero. Used when A is read transposed (the values of one column of the sliver
    /// are then contiguous in memory: MR at a time) and for the last, short sliver.</summary>
    private static unsafe void PackA<T>(T* dst, T* a, nint lda, bool aTrans, int ic, int pc, int mc, int kc) where T : unmanaged
    {
        if (aTrans && mc == MR)
        {
            var src = a + pc * lda + ic;
            T* d0 = dst, d1 = d0 + kc, d2 = d1 + kc, d3 = d2 + kc, d4 = d3 + kc, d5 = d4 + kc;
            for (var p = 0; p < kc; p++, src += lda)
            {
                d0[p] = src[0];
                d1[p] = src[1];
                d2[p] = src[2];
                d3[p] = src[3];
                d4[p] = src[4];
                d5[p] = src[5];
            }
        }
        else if (aTrans)
        {
            var src = a + pc * lda + ic;
            for (var p = 0; p < kc; p++, src += lda)
                for (var i = 0; i < mc; i++) dst[i * kc + p] = src[i];
        }
        else
        {
            for (var i = 0; i < mc; i++)
                new ReadOnlySpan<T>(a + (ic + i) * lda + pc, kc).CopyTo(new Span<T>(dst + i * kc, kc));
        }

        new Span<T>(dst + mc * kc, (MR - mc) * kc).Clear();
    }

    // ---------------------------------------------------------------------------------------
    // Microkernels: an MR × NR tile of C from an A sliver (MR rows, stride lda) and a packed B
    // sliver (kc × NR). Per step of the sum: load one row of the B sliver as two vectors,
    // broadcast each of the six A values and FMA into the 12 accumulators. With direct, add the
    // tile into C (row stride ldc); otherwise store it to c as a plain tile (stride ldc = NR).
    // The three are the same code at three vector widths (the JIT keeps the accumulators in
    // registers only when they are separate locals, so they are written out rather than made
    // generic over the vector type).

    private static unsafe void Micro512<T>(int kc, T* a, nint lda, T* bp, T* c, nint ldc, bool direct) where T : unmanaged
    {
        T* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        var w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + w);
            bp += 2 * w;
            var x = Vector512.Create(a0[p]);
            c00 = Fma512(x, b0, c00);
            c01 = Fma512(x, b1, c01);
            x = Vector512.Create(a1[p]);
            c10 = Fma512(x, b0, c10);
            c11 = Fma512(x, b1, c11);
            x = Vector512.Create(a2[p]);
            c20 = Fma512(x, b0, c20);
            c21 = Fma512(x, b1, c21);
            x = Vector512.Create(a3[p]);
            c30 = Fma512(x, b0, c30);
            c31 = Fma512(x, b1, c31);
            x = Vector512.Create(a4[p]);
            c40 = Fma512(x, b0, c40);
            c41 = Fma512(x, b1, c41);
            x = Vector512.Create(a5[p]);
            c50 = Fma512(x, b0, c50);
            c51 = Fma512(x, b1, c51);
        }

        if (direct)
        {
            c00 += Vector512.Load(c); c01 += Vector512.Load(c + w);
            c10 += Vector512.Load(c + ldc); c11 += Vector512.Load(c + ldc + w);
            c20 += Vector512.Load(c + 2 * ldc); c21 += Vector512.Load(c + 2 * ldc + w);
            c30 += Vector512.Load(c + 3 * ldc); c31 += Vector512.Load(c + 3 * ldc + w);
            c40 += Vector512.Load(c + 4 * ldc); c41 += Vector512.Load(c + 4 * ldc + w);
            c50 += Vector512.Load(c + 5 * ldc); c51 += Vector512.Load(c + 5 * ldc + w);
        }

        c00.Store(c); c01.Store(c + w);
        c10.Store(c + ldc); c11.Store(c + ldc + w);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + w);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + w);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + w);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + w);
    }

    private static unsafe void Micro256<T>(int kc, T* a, nint lda, T* bp, T* c, nint ldc, bool direct) where T : unmanaged
    {
        T* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        var w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + w);
            bp += 2 * w;
            var x = Vector256.Create(a0[p]);
            c00 = Fma256(x, b0, c00);
            c01 = Fma256(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Fma256(x, b0, c10);
            c11 = Fma256(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Fma256(x, b0, c20);
            c21 = Fma256(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Fma256(x, b0, c30);
            c31 = Fma256(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = Fma256(x, b0, c40);
            c41 = Fma256(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = Fma256(x, b0, c50);
            c51 = Fma256(x, b1, c51);
        }

        if (direct)
        {
            c00 += Vector256.Load(c); c01 += Vector256.Load(c + w);
            c10 += Vector256.Load(c + ldc); c11 += Vector256.Load(c + ldc + w);
            c20 += Vector256.Load(c + 2 * ldc); c21 += Vector256.Load(c + 2 * ldc + w);
            c30 += Vector256.Load(c + 3 * ldc); c31 += Vector256.Load(c + 3 * ldc + w);
            c40 += Vector256.Load(c + 4 * ldc); c41 += Vector256.Load(c + 4 * ldc + w);
            c50 += Vector256.Load(c + 5 * ldc); c51 += Vector256.Load(c + 5 * ldc + w);
        }

        c00.Store(c); c01.Store(c + w);
        c10.Store(c + ldc); c11.Store(c + ldc + w);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + w);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + w);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + w);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + w);
    }

    private static unsafe void Micro128<T>(int kc, T* a, nint lda, T* bp, T* c, nint ldc, bool direct) where T : unmanaged
    {
        T* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        var w = Vector128<T>.Count;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(bp);
            var b1 = Vector128.Load(bp + w);
            bp += 2 * w;
            var x = Vector128.Create(a0[p]);
            c00 = Fma128(x, b0, c00);
            c01 = Fma128(x, b1, c01);
            x = Vector128.Create(a1[p]);
            c10 = Fma128(x, b0, c10);
            c11 = Fma128(x, b1, c11);
            x = Vector128.Create(a2[p]);
            c20 = Fma128(x, b0, c20);
            c21 = Fma128(x, b1, c21);
            x = Vector128.Create(a3[p]);
            c30 = Fma128(x, b0, c30);
            c31 = Fma128(x, b1, c31);
            x = Vector128.Create(a4[p]);
            c40 = Fma128(x, b0, c40);
            c41 = Fma128(x, b1, c41);
            x = Vector128.Create(a5[p]);
            c50 = Fma128(x, b0, c50);
            c51 = Fma128(x, b1, c51);
        }

        if (direct)
        {
            c00 += Vector128.Load(c); c01 += Vector128.Load(c + w);
            c10 += Vector128.Load(c + ldc); c11 += Vector128.Load(c + ldc + w);
            c20 += Vector128.Load(c + 2 * ldc); c21 += Vector128.Load(c + 2 * ldc + w);
            c30 += Vector128.Load(c + 3 * ldc); c31 += Vector128.Load(c + 3 * ldc + w);
            c40 += Vector128.Load(c + 4 * ldc); c41 += Vector128.Load(c + 4 * ldc + w);
            c50 += Vector128.Load(c + 5 * ldc); c51 += Vector128.Load(c + 5 * ldc + w);
        }

        c00.Store(c); c01.Store(c + w);
        c10.Store(c + ldc); c11.Store(c + ldc + w);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + w);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + w);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + w);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + w);
    }

    // Fused multiply-add a·b + c for T = float or double; the typeof tests are JIT-time constants
    // for value types, so each instantiation keeps one instruction.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma512<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma256<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>The portable path: fused where the hardware has it (Arm64, x64 with FMA),
    /// otherwise a multiply then an add; the choice is fixed per machine, so still deterministic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Fma128<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>dst += src, element by element (vectorised with the portable vector width).</summary>
    private static void AddInPlace<T>(Span<T> dst, ReadOnlySpan<T> src) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var d = MemoryMarshal.Cast<T, Vector<T>>(dst);
            var s = MemoryMarshal.Cast<T, Vector<T>>(src);
            for (var v = 0; v < d.Length; v++) d[v] += s[v];
            i = d.Length * Vector<T>.Count;
        }

        for (; i < dst.Length; i++) dst[i] += src[i];
    }

    /// <summary>The per-thread packing buffer, allocated once (pinned, so its address is stable
    /// and no fixed is needed) and reused by every call on the thread; it only grows.</summary>
    private static class Workspace<T> where T : unmanaged
    {
        [ThreadStatic] private static T[]? t_buffer;

        public static unsafe T* Get(int elements)
        {
            var align = 64 / Unsafe.SizeOf<T>();
            var buffer = t_buffer;
            if (buffer is null || buffer.Length < elements + align)
            {
                buffer = GC.AllocateUninitializedArray<T>(elements + align, pinned: true);
                t_buffer = buffer;
            }

            var p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
            return (T*)((p + 63) & ~(nint)63);
        }
    }
}
