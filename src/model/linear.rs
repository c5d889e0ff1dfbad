//! The encoder's dense layers, `y = x·Wᵀ + b` over every token of a batch, and the kernels
//! that compute them.
//!
//! **int8** (the default): weights quantised once per output row (−127…127 times a
//! scale), activations per token and block of 32 inputs (as GGML's Q8_0: one large
//! activation only coarsens its own block, and BERT's hidden states have a few such
//! dimensions). Products are summed
//! exactly in i32 within a block, then scaled into f32. On x86-64 with AVX2 the products
//! are `vpmaddubsw` (u8 × i8 pairs → i16) and `vpmaddwd` (→ i32), 32 multiply-adds per
//! instruction pair against 8 for an f32 FMA. `vpmaddubsw` wants one operand unsigned: it
//! gets |w|, and the activation takes w's sign (`vpsignb`), so every pair sum stays within
//! 2·127·127 = 32 258 and nothing saturates. The portable path computes the same integer
//! sums in plain Rust, and both paths give identical results. (Measured on the parity
//! texts: 7-bit weights, which would save the sign step, fall to cosine 0.9993 against
//! f32; 8-bit weights keep 0.9998.) With AVX-512 VNNI, one `vpdpbusd` does 64 u8 × i8
//! multiply-adds into i32 (the activations shifted to 0…255, the shift taken back out
//! exactly), again with the same integer sums; it is chosen at run time.
//!
//! **f32**: the `gemm` crate (what candle itself calls on the CPU), `PALAUTE_KERNEL=f32`.
//!
//! No crate fitted: `gemm` has no integer path, candle's `QMatMul` is built for one-token
//! decoding (a quarter of f32's speed on batches), and the engines that have such kernels
//! (onnxruntime, tract) would replace the model code rather than serve it.

use rayon::prelude::*;

/// Which kernel computes the encoder's matrix products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// f32 throughout, with the `gemm` crate (candle's own CPU matmul).
    F32,
    /// int8 with the widest integer dot product the CPU has (AVX-512 VNNI, else AVX2),
    /// else the portable integer path; every path gives the same bits.
    Int8,
    /// int8 on the portable path only (tests and machines without AVX2 take it).
    Int8Portable,
}

impl Kernel {
    /// int8 unless `PALAUTE_KERNEL` (f32, int8, int8-portable) asks for another. int8 is
    /// the default because every int8 path gives the same bits, so the embeddings, the
    /// trained heads and every measured figure are the same on every machine, and where the
    /// CPU has AVX-512 VNNI it runs at about 2× the f32 path (`cargo bench --bench embed`).
    /// On a core with AVX2 only (Zen 1 was measured) it runs at 0.9× the f32 path: that
    /// core multiplies integers on one pipe and floats on two.
    pub fn from_env() -> Result<Kernel, String> {
        match std::env::var("PALAUTE_KERNEL").as_deref() {
            Err(_) | Ok("") | Ok("int8") => Ok(Kernel::Int8),
            Ok("f32") => Ok(Kernel::F32),
            Ok("int8-portable") => Ok(Kernel::Int8Portable),
            Ok(other) => Err(format!(
                "PALAUTE_KERNEL={other:?}: use int8, f32 or int8-portable"
            )),
        }
    }

    /// What runs, for `palaute doctor` and the benchmark.
    pub fn describe(self) -> &'static str {
        match self {
            Kernel::F32 => "f32 (gemm crate)",
            Kernel::Int8 => match Simd::detect() {
                Simd::Vnni => "int8 (AVX-512 VNNI)",
                Simd::Avx2 => "int8 (AVX2)",
                Simd::None => "int8 (portable)",
            },
            Kernel::Int8Portable => "int8 (portable)",
        }
    }
}

/// The integer kernel a CPU can run, found at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Simd {
    None,
    Avx2,
    Vnni,
}

impl Simd {
    fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Simd::Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Simd::Avx2;
            }
        }
        Simd::None
    }
}

/// Outputs per packed weight panel: two AVX2 registers of eight i32 sums.
const NR: usize = 16;
/// Tokens per kernel call.
const MR: usize = 4;
/// Inputs per activation scale.
const BLOCK: usize = 32;
/// Tokens per parallel task: the task's activations stay in cache while it walks the panels.
const ROWS_PER_TASK: usize = 64;

pub enum Linear {
    F32 {
        /// out × in, row-major, as the model file stores it.
        w: Vec<f32>,
        b: Vec<f32>,
        n: usize,
        k: usize,
    },
    Int8(Int8Weights),
}

pub struct Int8Weights {
    /// Panels of NR outputs; within a panel, for every 4 inputs, NR × 4 bytes.
    packed: Vec<i8>,
    /// Per output: the scale of its weights.
    scale: Vec<f32>,
    b: Vec<f32>,
    n: usize,
    k: usize,
    simd: Simd,
    /// For the VNNI path, per panel and block, NR sums of −128 × the block's weights: that
    /// kernel multiplies activations shifted to 0…255 (its unsigned operand) and starts
    /// each block's sums from this correction, so its integer sums equal the others'.
    shift: Vec<i32>,
}

impl Linear {
    pub fn new(w: Vec<f32>, b: Vec<f32>, n: usize, k: usize, kernel: Kernel) -> Linear {
        debug_assert_eq!(w.len(), n * k);
        debug_assert_eq!(b.len(), n);
        // The int8 layout needs whole panels and blocks; other shapes (no BERT-family
        // model has them) stay in f32.
        let packable = n.is_multiple_of(NR) && k.is_multiple_of(BLOCK);
        match kernel {
            Kernel::Int8 | Kernel::Int8Portable if packable => Linear::Int8(Int8Weights::new(
                &w,
                b,
                n,
                k,
                if kernel == Kernel::Int8 {
                    Simd::detect()
                } else {
                    Simd::None
                },
            )),
            _ => Linear::F32 { w, b, n, k },
        }
    }

    /// `out = x·Wᵀ + b` for `x` of tokens × in; `out` is tokens × out.
    pub fn forward(&self, x: &[f32], out: &mut [f32]) {
        match self {
            Linear::F32 { w, b, n, k } => f32_forward(w, b, *n, *k, x, out),
            Linear::Int8(q) => q.forward(x, out),
        }
    }
}

fn f32_forward(w: &[f32], b: &[f32], n: usize, k: usize, x: &[f32], out: &mut [f32]) {
    let m = x.len() / k;
    assert_eq!(out.len(), m * n);
    assert_eq!(w.len(), n * k);
    out.par_chunks_mut(n).for_each(|row| row.copy_from_slice(b));
    let threads = rayon::current_num_threads();
    let parallelism = if m * n * k > 1 << 16 && threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the strides describe x (m × k, row-major), Wᵀ (k × n, read from W's n × k
    // row-major storage) and out (m × n, row-major), all within the lengths asserted above.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

impl Int8Weights {
    fn new(w: &[f32], b: Vec<f32>, n: usize, k: usize, simd: Simd) -> Int8Weights {
        let mut packed = vec![0i8; n * k];
        let mut scale = vec![0f32; n];
        for o in 0..n {
            let row = &w[o * k..(o + 1) * k];
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let s = if max > 0.0 { max / 127.0 } else { 1.0 };
            scale[o] = s;
            let (panel, j) = (o / NR, o % NR);
            for (i, v) in row.iter().enumerate() {
                let q = (v / s).round().clamp(-127.0, 127.0) as i8;
                packed[panel * NR * k + (i / 4) * NR * 4 + j * 4 + i % 4] = q;
            }
        }
        let mut shift = Vec::new();
        if simd == Simd::Vnni {
            let blocks = k / BLOCK;
            shift = vec![0i32; n / NR * blocks * NR];
            for o in 0..n {
                let (panel, j) = (o / NR, o % NR);
                for b in 0..blocks {
                    let sum: i32 = (b * BLOCK..(b + 1) * BLOCK)
                        .map(|i| packed[panel * NR * k + (i / 4) * NR * 4 + j * 4 + i % 4] as i32)
                        .sum();
                    shift[(panel * blocks + b) * NR + j] = -128 * sum;
                }
            }
        }
        Int8Weights {
            packed,
            scale,
            b,
            n,
            k,
            simd,
            shift,
        }
    }

    fn forward(&self, x: &[f32], out: &mut [f32]) {
        let (n, k) = (self.n, self.k);
        let m = x.len() / k;
        assert_eq!(out.len(), m * n);
        out.par_chunks_mut(ROWS_PER_TASK * n)
            .zip(x.par_chunks(ROWS_PER_TASK * k))
            .for_each(|(out, x)| task(self, x, out));
    }

    /// Sums of up to MR activation rows against one panel, in f32 units of the weights.
    fn kernel(&self, a: &Rows, panel: usize, p: &[i8], acc: &mut [[f32; NR]; MR]) {
        #[cfg(target_arch = "x86_64")]
        match self.simd {
            Simd::Vnni => {
                let blocks = self.k / BLOCK;
                let shift = &self.shift[panel * blocks * NR..(panel + 1) * blocks * NR];
                // SAFETY: `Vnni` is chosen only when the CPU reports AVX-512F and VNNI; `a`
                // holds MR rows of k shifted bytes with k / BLOCK scales each, the panel
                // NR × k bytes, `shift` NR sums per block.
                unsafe { vnni_kernel(a, p, shift, self.k, acc) };
                return;
            }
            Simd::Avx2 => {
                // SAFETY: `Avx2` is chosen only when the CPU reports AVX2 and FMA; `a` holds
                // MR rows of k bytes with k / BLOCK scales each, the panel NR × k bytes.
                unsafe { avx2_kernel(a, p, self.k, acc) };
                return;
            }
            Simd::None => {}
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = panel;
        portable_kernel(a, p, self.k, acc);
    }
}

/// One task's rows: quantise them, then walk every panel. Compiled for each vector width
/// so the scaling of the sums into `out` (as many values as the products' outputs) runs
/// 16 or 8 wide; each value is `scale × sum + bias`, unfused, on every target.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl", "x86_64+avx2+fma"))]
fn task(w: &Int8Weights, x: &[f32], out: &mut [f32]) {
    let (n, k) = (w.n, w.k);
    let blocks = k / BLOCK;
    let rows = x.len() / k;
    // Padded with zero rows to whole kernel calls, so the kernel's row loop has a fixed
    // count and its sums stay in registers.
    let (q, xs) = quantize(
        x,
        k,
        rows.div_ceil(MR) * MR,
        w.simd == Simd::Vnni,
        w.simd != Simd::None,
    );
    let mut acc = [[0f32; NR]; MR];
    for panel in 0..n / NR {
        let p = &w.packed[panel * NR * k..(panel + 1) * NR * k];
        let scale = &w.scale[panel * NR..(panel + 1) * NR];
        let bias = &w.b[panel * NR..(panel + 1) * NR];
        for r0 in (0..rows).step_by(MR) {
            let mr = MR.min(rows - r0);
            let a = Rows {
                q: &q[r0 * k..(r0 + MR) * k],
                scales: &xs[r0 * blocks..(r0 + MR) * blocks],
            };
            w.kernel(&a, panel, p, &mut acc);
            for (r, acc) in acc.iter().enumerate().take(mr) {
                let row = &mut out[(r0 + r) * n + panel * NR..][..NR];
                for (((y, a), s), b) in row.iter_mut().zip(acc).zip(scale).zip(bias) {
                    *y = s * a + b;
                }
            }
        }
    }
}

/// Up to MR quantised activation rows.
struct Rows<'a> {
    /// k bytes per row.
    q: &'a [i8],
    /// k / BLOCK scales per row.
    scales: &'a [f32],
}

/// Activations as i8 (−127…127) and a scale per token and block, for `rows` rows of `k`
/// (the rows past `x` are zero). With `shift`, the bytes are x + 128 (the VNNI kernel's
/// unsigned operand). Without `simd`, only the portable loop runs. The loop is as long as
/// a quarter of the products, so it has an AVX-512 version; both give the same bytes and
/// scales for finite activations.
fn quantize(x: &[f32], k: usize, rows: usize, shift: bool, simd: bool) -> (Vec<i8>, Vec<f32>) {
    let mut q = vec![if shift { i8::MIN } else { 0 }; rows * k];
    let mut scales = vec![0f32; rows * k / BLOCK];
    #[cfg(target_arch = "x86_64")]
    if simd
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
    {
        // SAFETY: the CPU has the features; the slices are whole blocks (k is a multiple
        // of BLOCK, checked when the weights were packed).
        unsafe { quantize_avx512(x, &mut q, &mut scales, shift) };
        return (q, scales);
    }
    quantize_portable(x, &mut q, &mut scales, shift);
    (q, scales)
}

fn quantize_portable(x: &[f32], q: &mut [i8], scales: &mut [f32], shift: bool) {
    let flip = if shift { i8::MIN } else { 0 };
    for ((block, qb), s) in x
        .chunks_exact(BLOCK)
        .zip(q.chunks_exact_mut(BLOCK))
        .zip(scales)
    {
        let max = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        *s = if max > 0.0 { max / 127.0 } else { 1.0 };
        let inv = 1.0 / *s;
        for (q, v) in qb.iter_mut().zip(block) {
            *q = ((v * inv).round().clamp(-127.0, 127.0) as i8) ^ flip;
        }
    }
}

/// [`quantize_portable`] 16 lanes at a time. AVX-512 has no round-half-away-from-zero
/// mode, so it truncates and adds ±1 where the dropped fraction is at least one half,
/// which is what `f32::round` does (the fraction `v − trunc(v)` is exact).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn quantize_avx512(x: &[f32], q: &mut [i8], scales: &mut [f32], shift: bool) {
    use std::arch::x86_64::*;
    const _: () = assert!(BLOCK == 32);
    let flip = _mm_set1_epi8(if shift { i8::MIN } else { 0 });
    let sign = _mm512_set1_epi32(i32::MIN);
    let one = _mm512_castps_si512(_mm512_set1_ps(1.0));
    let (half, lo, hi) = (
        _mm512_set1_ps(0.5),
        _mm512_set1_ps(-127.0),
        _mm512_set1_ps(127.0),
    );
    for ((block, qb), s) in x
        .chunks_exact(BLOCK)
        .zip(q.chunks_exact_mut(BLOCK))
        .zip(scales)
    {
        let a = [
            _mm512_loadu_ps(block.as_ptr()),
            _mm512_loadu_ps(block.as_ptr().add(16)),
        ];
        let max = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a[0]), _mm512_abs_ps(a[1])));
        *s = if max > 0.0 { max / 127.0 } else { 1.0 };
        let inv = _mm512_set1_ps(1.0 / *s);
        for (i, a) in a.into_iter().enumerate() {
            let v = _mm512_mul_ps(a, inv);
            let t = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
            let up = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_abs_ps(_mm512_sub_ps(v, t)), half);
            let step = _mm512_castsi512_ps(_mm512_or_si512(
                one,
                _mm512_and_si512(_mm512_castps_si512(v), sign),
            ));
            let r = _mm512_mask_add_ps(t, up, t, step);
            let c = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
            let bytes = _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(c));
            _mm_storeu_si128(
                qb.as_mut_ptr().add(16 * i) as *mut __m128i,
                _mm_xor_si128(bytes, flip),
            );
        }
    }
}

fn portable_kernel(a: &Rows, panel: &[i8], k: usize, acc: &mut [[f32; NR]; MR]) {
    let blocks = k / BLOCK;
    for (r, acc) in acc.iter_mut().enumerate() {
        *acc = [0.0; NR];
        let q = &a.q[r * k..(r + 1) * k];
        for b in 0..blocks {
            let mut sums = [0i32; NR];
            for g in b * BLOCK / 4..(b + 1) * BLOCK / 4 {
                let x = &q[g * 4..g * 4 + 4];
                for (j, w) in panel[g * NR * 4..(g + 1) * NR * 4]
                    .chunks_exact(4)
                    .enumerate()
                {
                    sums[j] += (0..4).map(|i| x[i] as i32 * w[i] as i32).sum::<i32>();
                }
            }
            let s = a.scales[r * blocks + b];
            for (acc, sum) in acc.iter_mut().zip(sums) {
                // Fused, as the AVX2 path's FMA: both paths round alike.
                *acc = (sum as f32).mul_add(s, *acc);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_kernel(a: &Rows, panel: &[i8], k: usize, acc: &mut [[f32; NR]; MR]) {
    use std::arch::x86_64::*;
    debug_assert_eq!(a.q.len(), MR * k);
    let blocks = k / BLOCK;
    let ones = _mm256_set1_epi16(1);
    let mut f = [[_mm256_setzero_ps(); 2]; MR];
    let pa = a.q.as_ptr();
    let pw = panel.as_ptr();
    for b in 0..blocks {
        let mut c = [[_mm256_setzero_si256(); 2]; MR];
        for g in b * BLOCK / 4..(b + 1) * BLOCK / 4 {
            let w0 = _mm256_loadu_si256(pw.add(g * NR * 4) as *const __m256i);
            let w1 = _mm256_loadu_si256(pw.add(g * NR * 4 + 32) as *const __m256i);
            let (u0, u1) = (_mm256_abs_epi8(w0), _mm256_abs_epi8(w1));
            for (r, c) in c.iter_mut().enumerate() {
                // Four consecutive activations of token r, repeated across the register:
                // each 32-bit lane meets the four weights of one output.
                let x = _mm256_set1_epi32((pa.add(r * k + g * 4) as *const i32).read_unaligned());
                let p0 = _mm256_maddubs_epi16(u0, _mm256_sign_epi8(x, w0));
                let p1 = _mm256_maddubs_epi16(u1, _mm256_sign_epi8(x, w1));
                c[0] = _mm256_add_epi32(c[0], _mm256_madd_epi16(p0, ones));
                c[1] = _mm256_add_epi32(c[1], _mm256_madd_epi16(p1, ones));
            }
        }
        for (r, (c, f)) in c.iter().zip(f.iter_mut()).enumerate() {
            let s = _mm256_set1_ps(a.scales[r * blocks + b]);
            f[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(c[0]), s, f[0]);
            f[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(c[1]), s, f[1]);
        }
    }
    for (f, acc) in f.iter().zip(acc.iter_mut()) {
        _mm256_storeu_ps(acc.as_mut_ptr(), f[0]);
        _mm256_storeu_ps(acc.as_mut_ptr().add(8), f[1]);
    }
}

/// The AVX-512 VNNI kernel: one `vpdpbusd` multiplies four u8 activations by four i8
/// weights for all 16 outputs of the panel and adds the sums to 16 i32 lanes — 64
/// multiply-adds per instruction, against 16 for an f32 FMA on the same register width.
/// The activations come shifted by +128 (u8) and every block's sums start from
/// −128 × Σ weights, so the i32 sums, and hence the results, equal the portable path's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn vnni_kernel(a: &Rows, panel: &[i8], shift: &[i32], k: usize, acc: &mut [[f32; NR]; MR]) {
    use std::arch::x86_64::*;
    debug_assert_eq!(a.q.len(), MR * k);
    let blocks = k / BLOCK;
    let mut f = [_mm512_setzero_ps(); MR];
    let pa = a.q.as_ptr();
    let pw = panel.as_ptr();
    for b in 0..blocks {
        let start = _mm512_loadu_si512(shift.as_ptr().add(b * NR) as *const _);
        let mut c = [start; MR];
        for g in b * BLOCK / 4..(b + 1) * BLOCK / 4 {
            let w = _mm512_loadu_si512(pw.add(g * NR * 4) as *const _);
            for (r, c) in c.iter_mut().enumerate() {
                let x = _mm512_set1_epi32((pa.add(r * k + g * 4) as *const i32).read_unaligned());
                *c = _mm512_dpbusd_epi32(*c, x, w);
            }
        }
        for (r, (c, f)) in c.iter().zip(f.iter_mut()).enumerate() {
            let s = _mm512_set1_ps(a.scales[r * blocks + b]);
            *f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(*c), s, *f);
        }
    }
    for (f, acc) in f.iter().zip(acc.iter_mut()) {
        _mm512_storeu_ps(acc.as_mut_ptr(), *f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_computes_x_times_w_transposed_plus_bias() {
        // W = [[1, 2, 3], [4, 5, 6]] (2 outputs, 3 inputs), b = [10, 20].
        let l = Linear::new(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            vec![10.0, 20.0],
            2,
            3,
            Kernel::F32,
        );
        let x = [1.0, 0.0, -1.0, 0.5, 1.0, 2.0];
        let mut out = [0.0; 4];
        l.forward(&x, &mut out);
        assert_eq!(out, [10.0 - 2.0, 20.0 - 2.0, 10.0 + 8.5, 20.0 + 19.0]);
    }

    /// Deterministic values in −1…1 with a few large ones, like a layer's activations.
    fn values(n: usize, seed: u64, outliers: bool) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
                if outliers && i % 97 == 0 {
                    v * 8.0
                } else {
                    v
                }
            })
            .collect()
    }

    fn run(kernel: Kernel, m: usize, n: usize, k: usize) -> Vec<f32> {
        let l = Linear::new(values(n * k, 1, false), values(n, 2, false), n, k, kernel);
        let mut out = vec![0.0; m * n];
        l.forward(&values(m * k, 3, true), &mut out);
        out
    }

    /// Every integer path this CPU can run, the portable one first.
    fn paths() -> Vec<Simd> {
        let mut p = vec![Simd::None];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                p.push(Simd::Avx2);
            }
            if Simd::detect() == Simd::Vnni {
                p.push(Simd::Vnni);
            }
        }
        p
    }

    #[test]
    fn int8_is_close_to_f32_and_every_int8_path_agrees_exactly() {
        // 67 tokens: a task boundary and a last kernel call of fewer than four rows.
        let (m, n, k) = (67, 48, 384);
        let reference = run(Kernel::F32, m, n, k);
        let x = values(m * k, 3, true);
        let outputs: Vec<(Simd, Vec<f32>)> = paths()
            .into_iter()
            .map(|simd| {
                let l = Int8Weights::new(&values(n * k, 1, false), values(n, 2, false), n, k, simd);
                let mut out = vec![0.0; m * n];
                l.forward(&x, &mut out);
                (simd, out)
            })
            .collect();
        eprintln!(
            "int8 paths tested on this CPU: {:?}",
            outputs.iter().map(|o| o.0).collect::<Vec<_>>()
        );
        for (simd, out) in &outputs[1..] {
            assert_eq!(
                out, &outputs[0].1,
                "the {simd:?} and portable paths must agree bit for bit"
            );
        }
        assert_eq!(run(Kernel::Int8, m, n, k), outputs[0].1);
        let fast = &outputs[0].1;
        let (mut err, mut norm) = (0f64, 0f64);
        for (a, b) in fast.iter().zip(&reference) {
            err += ((a - b) as f64).powi(2);
            norm += (*b as f64).powi(2);
        }
        let rel = (err / norm).sqrt();
        assert!(rel < 0.01, "int8 relative error {rel}");
        assert!(rel > 0.0, "int8 must actually round");
    }

    #[test]
    fn quantising_rounds_halves_away_from_zero_on_every_path() {
        // A block whose largest value is 127 has scale 1, so the halves stay halves.
        let mut x = vec![
            127.0f32, -0.5, 0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 0.49999997,
        ];
        x.extend((10..32).map(|i| (i as f32 - 20.0) * 0.75));
        x.extend(values(32 * 40, 5, true));
        x.extend([0.0; 32]);
        let rows = x.len() / 64;
        for shift in [false, true] {
            let (q, s) = quantize(&x, 64, rows + 1, shift, true);
            let mut pq = vec![if shift { i8::MIN } else { 0 }; (rows + 1) * 64];
            let mut ps = vec![0f32; (rows + 1) * 2];
            quantize_portable(&x, &mut pq, &mut ps, shift);
            assert_eq!((&q, &s), (&pq, &ps), "shift {shift}");
            let flip = if shift { i8::MIN } else { 0 };
            let first: Vec<i8> = q[..10].iter().map(|v| v ^ flip).collect();
            assert_eq!(first, [127, -1, 1, 2, -2, 3, -3, 127, -127, 0]);
            assert_eq!(s[0], 1.0);
        }
    }

    #[test]
    fn int8_falls_back_to_f32_for_shapes_it_cannot_pack() {
        assert!(matches!(
            Linear::new(vec![0.0; 6], vec![0.0; 2], 2, 3, Kernel::Int8),
            Linear::F32 { .. }
        ));
    }

    #[test]
    fn kernel_names_parse() {
        assert_eq!(Kernel::F32.describe(), "f32 (gemm crate)");
        assert_eq!(Kernel::Int8Portable.describe(), "int8 (portable)");
    }
}
