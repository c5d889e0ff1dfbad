//! The encoder's dense layers, `y = x·Wᵀ + b` over every token of a batch, and the kernels
//! that compute them.
//!
//! **f32**: the `gemm` crate (what candle itself calls on the CPU); the reference.
//!
//! **int8**: weights quantised once per output row (−127…127 times a scale), activations
//! per token and block of 32 inputs (as GGML's Q8_0: one large activation only coarsens
//! its own block, and BERT's hidden states have a few such dimensions). Products are summed
//! exactly in i32 within a block, then scaled into f32. On x86-64 with AVX2 the products
//! are `vpmaddubsw` (u8 × i8 pairs → i16) and `vpmaddwd` (→ i32), 32 multiply-adds per
//! instruction pair against 8 for an f32 FMA. `vpmaddubsw` wants one operand unsigned: it
//! gets |w|, and the activation takes w's sign (`vpsignb`), so every pair sum stays within
//! 2·127·127 = 32 258 and nothing saturates. The portable path computes the same integer
//! sums in plain Rust, and both paths give identical results. (Measured on the parity
//! texts: 7-bit weights, which would save the sign step, fall to cosine 0.9993 against
//! f32; 8-bit weights keep 0.9998.)
//!
//! No crate fitted: `gemm` has no integer path, candle's `QMatMul` is built for one-token
//! decoding (a quarter of f32's speed on batches), and the engines that have such kernels
//! (onnxruntime, tract) would replace the model code rather than serve it.

use rayon::prelude::*;

/// Which kernel computes the encoder's matrix products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// f32 throughout, with the `gemm` crate (the reference).
    F32,
    /// int8 with AVX2 when the CPU has it, else the portable integer path.
    Int8,
    /// int8 on the portable path only (tests and machines without AVX2 take it).
    Int8Portable,
}

impl Kernel {
    /// f32 unless `PALAUTE_KERNEL` (f32, int8, int8-portable) asks for another. f32 is
    /// the default because it is the faster here: on the 2-core AMD EPYC (Zen 1, AVX2)
    /// this was measured on, the int8 AVX2 kernel embeds at 0.9× the f32 path's speed —
    /// that core multiplies integers on one pipe and floats on two, so 32 int8 products
    /// cost what 32 f32 FMAs do. int8 wins where integer dot products are wider
    /// (AVX-512 VNNI), and gives the same bits on every machine.
    pub fn from_env() -> Result<Kernel, String> {
        match std::env::var("PALAUTE_KERNEL").as_deref() {
            Err(_) | Ok("") | Ok("f32") => Ok(Kernel::F32),
            Ok("int8") => Ok(Kernel::Int8),
            Ok("int8-portable") => Ok(Kernel::Int8Portable),
            Ok(other) => Err(format!(
                "PALAUTE_KERNEL={other:?}: use f32, int8 or int8-portable"
            )),
        }
    }

    /// What runs, for `palaute doctor` and the benchmark.
    pub fn describe(self) -> &'static str {
        match self {
            Kernel::F32 => "f32 (gemm crate)",
            Kernel::Int8 if avx2() => "int8 (AVX2)",
            Kernel::Int8 | Kernel::Int8Portable => "int8 (portable)",
        }
    }
}

fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
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
    simd: bool,
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
                kernel == Kernel::Int8 && avx2(),
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
    fn new(w: &[f32], b: Vec<f32>, n: usize, k: usize, simd: bool) -> Int8Weights {
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
        Int8Weights {
            packed,
            scale,
            b,
            n,
            k,
            simd,
        }
    }

    fn forward(&self, x: &[f32], out: &mut [f32]) {
        let (n, k) = (self.n, self.k);
        let blocks = k / BLOCK;
        let m = x.len() / k;
        assert_eq!(out.len(), m * n);
        out.par_chunks_mut(ROWS_PER_TASK * n)
            .zip(x.par_chunks(ROWS_PER_TASK * k))
            .for_each(|(out, x)| {
                let rows = x.len() / k;
                // Padded with zero rows to whole kernel calls, so the kernel's row loop has
                // a fixed count and its sums stay in registers.
                let (q, xs) = quantize(x, k, rows.div_ceil(MR) * MR);
                let mut acc = [[0f32; NR]; MR];
                for panel in 0..n / NR {
                    let p = &self.packed[panel * NR * k..(panel + 1) * NR * k];
                    for r0 in (0..rows).step_by(MR) {
                        let mr = MR.min(rows - r0);
                        let a = Rows {
                            q: &q[r0 * k..(r0 + MR) * k],
                            scales: &xs[r0 * blocks..(r0 + MR) * blocks],
                        };
                        self.kernel(&a, p, &mut acc);
                        for (r, acc) in acc.iter().enumerate().take(mr) {
                            let row = &mut out[(r0 + r) * n + panel * NR..][..NR];
                            for (j, (y, a)) in row.iter_mut().zip(acc).enumerate() {
                                let o = panel * NR + j;
                                *y = self.scale[o] * a + self.b[o];
                            }
                        }
                    }
                }
            });
    }

    /// Sums of up to MR activation rows against one panel, in f32 units of the weights.
    fn kernel(&self, a: &Rows, panel: &[i8], acc: &mut [[f32; NR]; MR]) {
        #[cfg(target_arch = "x86_64")]
        if self.simd {
            // SAFETY: `simd` is set only when the CPU reports AVX2; `a` holds whole rows of
            // k bytes with k / BLOCK scales each, the panel NR × k bytes.
            unsafe { avx2_kernel(a, panel, self.k, acc) };
            return;
        }
        portable_kernel(a, panel, self.k, acc);
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
/// (the rows past `x` are zero).
fn quantize(x: &[f32], k: usize, rows: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = vec![0i8; rows * k];
    let mut scales = vec![0f32; rows * k / BLOCK];
    for ((block, qb), s) in x
        .chunks_exact(BLOCK)
        .zip(q.chunks_exact_mut(BLOCK))
        .zip(&mut scales)
    {
        let max = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        *s = if max > 0.0 { max / 127.0 } else { 1.0 };
        let inv = 1.0 / *s;
        for (q, v) in qb.iter_mut().zip(block) {
            *q = (v * inv).round().clamp(-127.0, 127.0) as i8;
        }
    }
    (q, scales)
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

    #[test]
    fn int8_is_close_to_f32_and_both_int8_paths_agree_exactly() {
        // 67 tokens: a task boundary and a last kernel call of fewer than four rows.
        let (m, n, k) = (67, 48, 384);
        let reference = run(Kernel::F32, m, n, k);
        let fast = run(Kernel::Int8, m, n, k);
        let portable = run(Kernel::Int8Portable, m, n, k);
        assert_eq!(
            fast, portable,
            "the AVX2 and portable paths must agree bit for bit"
        );
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
