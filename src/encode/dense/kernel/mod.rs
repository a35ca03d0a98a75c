//! int8 matrix products `C = A · W` with i32 accumulation, one module per instruction set.
//!
//! Every path computes the same exact integer sums; they differ only in how the operands
//! are laid out for their instructions, so [`Kernel::pack`] lays the weights out once, at
//! load, for the path chosen then, and [`Kernel::quantize_rows`] writes each batch's
//! activations in the matching form:
//!
//! | path | instruction | activations | weights, packed |
//! | --- | --- | --- | --- |
//! | [`Kernel::Avx512Vnni`] | `vpdpbusd` (u8 × i8, 4 products a lane) | u8 | 64-column panels, `[k/4][64][4]` i8 |
//! | [`Kernel::Avx2`] | `vpmaddwd` (i16 × i16, 2 products a lane) | u8 widened to i16 | 16-column panels, `[k/2][16][2]` i16 |
//! | [`Kernel::Portable`] | scalar, auto-vectorised | u8 | one row per output column, `[n][k]` i8 |
//!
//! Weights are symmetric (`w ≈ s_c · q`, q in ±127, one scale per output column). Activations
//! are *asymmetric* per row: `x ≈ s_r · (a − z_r)` with `a` in 0..=255 and a zero point `z_r`,
//! so a row that is mostly positive (a GELU's output) gets all 256 steps across its own range
//! instead of half of them. The product is then `s_r s_c (Σ a·q − z_r Σ q)`: the column sums
//! `Σₖ q` are kept from packing, and the correction costs one multiply per output.
//! AVX2's byte product (`vpmaddubsw`) would saturate at 16 bits for these ranges
//! (2 · 255 · 127 > 32767), so the AVX2 path widens to 16 bits first and stays exact.
//!
//! The epilogue turns each integer sum into `(sum − z_r Σq) · (s_r · s_c) + bias` in the same
//! pass, so the f32 output is written once.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod portable;
mod quantize;

/// Columns per weight panel of the AVX-512 VNNI path (4 vectors of 16 i32 lanes).
const VNNI_PANEL: usize = 64;
/// Columns per weight panel of the AVX2 path (2 vectors of 8 i32 lanes).
const AVX2_PANEL: usize = 16;

/// The environment variable that picks an int8 path by name (`avx512-vnni`, `avx2`,
/// `portable`) instead of the fastest one.
pub const KERNEL_ENV: &str = "OPINIO_INT8_KERNEL";

/// An instruction-set path for the int8 products.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// AVX-512 with VNNI (`vpdpbusd`): Ice Lake and later Xeons, Zen 4 and later.
    Avx512Vnni,
    /// AVX2 (`vpmaddwd`): every x86-64 CPU since about 2013.
    Avx2,
    /// Plain Rust, for other CPUs and as the reference.
    Portable,
}

/// The weights of one dense layer, quantised per output column and packed for a [`Kernel`].
#[derive(Clone, Debug)]
pub struct PackedWeights {
    kernel: Kernel,
    k: usize,
    n: usize,
    /// Per column: the f32 value of one integer step.
    scales: Vec<f32>,
    /// Per column: `Σₖ q`, for the activations' zero points.
    sums: Vec<i32>,
    bias: Vec<f32>,
    /// Per input channel: what the input is multiplied by before quantising (the inverse of
    /// the weights' smoothing); empty when not smoothed.
    channels: Vec<f32>,
    data: Packed,
    /// What quantising left out of the weights, quantised again on a finer scale
    /// ([`Kernel::pack_two_pass`]); its product is added to this one's.
    rest: Option<Box<PackedWeights>>,
}

#[derive(Clone, Debug)]
enum Packed {
    I8(Vec<i8>),
    I16(Vec<i16>),
}

/// One batch's activations, quantised per row for a [`Kernel`].
#[derive(Clone, Debug, Default)]
pub struct QuantizedRows {
    rows: usize,
    /// Per row: the f32 value of one integer step.
    scales: Vec<f32>,
    /// Per row: the integer that stands for 0.0.
    zeros: Vec<i32>,
    /// The second product of weights packed in two passes, `[rows, n]`, kept for reuse.
    rest: Vec<f32>,
    /// u8 values (VNNI, portable), `[rows, stride]`.
    bytes: Vec<u8>,
    /// The same values as i16 (AVX2), `[rows, stride]`.
    words: Vec<i16>,
    /// The input with its channels smoothed, `[rows, k]`, when the weights were.
    smoothed: Vec<f32>,
}

impl Kernel {
    /// The fastest path this CPU runs, checked at run time.
    pub fn detect() -> Kernel {
        Kernel::available()[0]
    }

    /// The path named by the environment variable [`KERNEL_ENV`] when it is set (to compare
    /// paths on one machine), else [`Kernel::detect`].
    ///
    /// Fails with [`ErrorKind::InvalidArgument`](crate::ErrorKind) when the variable names a
    /// path this CPU does not run, listing those it does.
    pub fn configured() -> crate::Result<Kernel> {
        let Some(name) = std::env::var_os(KERNEL_ENV).filter(|v| !v.is_empty()) else {
            return Ok(Kernel::detect());
        };
        let name = name.to_string_lossy();
        Kernel::named(&name).ok_or_else(|| {
            let names: Vec<&str> = Kernel::available().iter().map(|k| k.name()).collect();
            crate::Error::invalid_argument(format!(
                "{KERNEL_ENV}={name:?} is not an int8 path this CPU runs ({})",
                names.join(", ")
            ))
        })
    }

    /// The path called `name` ([`Kernel::name`]), when this CPU runs it.
    pub fn named(name: &str) -> Option<Kernel> {
        Kernel::available().into_iter().find(|k| k.name() == name)
    }

    /// Every path this CPU runs, fastest first; [`Kernel::Portable`] is always last.
    pub fn available() -> Vec<Kernel> {
        let mut paths = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                paths.push(Kernel::Avx512Vnni);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                paths.push(Kernel::Avx2);
            }
        }
        paths.push(Kernel::Portable);
        paths
    }

    /// The name used in benches and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512Vnni => "avx512-vnni",
            Kernel::Avx2 => "avx2",
            Kernel::Portable => "portable",
        }
    }

    /// Quantises the `[k, n]` row-major f32 weights `w` per output column (symmetric, ±127)
    /// and packs them for this path; `bias` (length `n`, or empty) is added in the epilogue.
    ///
    /// # Panics
    /// When this CPU cannot run the path (see [`Kernel::available`]).
    pub fn pack(self, w: &[f32], k: usize, n: usize, bias: &[f32]) -> PackedWeights {
        self.pack_smoothed(w, k, n, bias, &[])
    }

    /// [`Kernel::pack`] with the input channels smoothed: weight row `j` is multiplied by
    /// `smooth[j]` before quantising and every input row's channel `j` divided by it before
    /// its own quantisation, which leaves the product unchanged but moves an activation
    /// channel's outliers into the weights, where the per-column scales absorb them
    /// (SmoothQuant, Xiao et al. 2023). `smooth` is empty (none) or `k` positive values.
    pub fn pack_smoothed(self, w: &[f32], k: usize, n: usize, bias: &[f32], smooth: &[f32]) -> PackedWeights {
        self.pack_passes(w, k, n, bias, smooth, false)
    }

    /// [`Kernel::pack_smoothed`] with the weights quantised in two passes: to 8 bits per
    /// column, then what that left out (less than half a step each way) to 8 more bits on
    /// a scale about 250 times finer, `W ≈ s₁q₁ + s₂q₂`. Every product then runs twice on
    /// the same quantised input and the two are added: about 16-bit weights for twice the
    /// work, for a layer whose weights 8 bits cannot carry.
    pub fn pack_two_pass(self, w: &[f32], k: usize, n: usize, bias: &[f32], smooth: &[f32]) -> PackedWeights {
        self.pack_passes(w, k, n, bias, smooth, true)
    }

    /// [`Kernel::pack_smoothed`], and with `two_pass` what the quantisation left out packed
    /// as well ([`Kernel::pack_two_pass`]).
    fn pack_passes(self, w: &[f32], k: usize, n: usize, bias: &[f32], smooth: &[f32], two_pass: bool) -> PackedWeights {
        assert!(Kernel::available().contains(&self), "this CPU cannot run the {} path", self.name());
        assert_eq!(w.len(), k * n, "weights are [k, n]");
        assert!(bias.is_empty() || bias.len() == n, "bias has one value per column");
        assert!(smooth.is_empty() || (smooth.len() == k && smooth.iter().all(|s| *s > 0.0 && s.is_finite())));
        let channels: Vec<f32> = smooth.iter().map(|s| 1.0 / s).collect();
        let w = scaled(w, n, smooth);
        let (scales, sums, quantised) = quantize_columns(&w, k, n);
        let rest = two_pass.then(|| {
            let left: Vec<f32> =
                w.iter().zip(&quantised).enumerate().map(|(i, (&x, &q))| x - q as f32 * scales[i % n]).collect();
            Box::new(self.pack(&left, k, n, &[]))
        });
        let q = |kk: usize, c: usize| quantised[kk * n + c];
        let data = match self {
            Kernel::Avx512Vnni => Packed::I8(panels(k, n, VNNI_PANEL, 4, q)),
            Kernel::Avx2 => Packed::I16(panels(k, n, AVX2_PANEL, 2, |kk, c| q(kk, c) as i16)),
            Kernel::Portable => Packed::I8(
                (0..n).flat_map(|c| (0..k).map(move |kk| (c, kk))).map(|(c, kk)| q(kk, c)).collect(),
            ),
        };
        let bias = if bias.is_empty() { vec![0.0; n] } else { bias.to_vec() };
        PackedWeights { kernel: self, k, n, scales, sums, bias, channels, data, rest }
    }

    /// Quantises `rows` rows of `k` f32 values per row (asymmetric, 0..=255 with a zero
    /// point per row) into `out`, in this path's activation form.
    pub fn quantize_rows(self, x: &[f32], rows: usize, k: usize, out: &mut QuantizedRows) {
        assert_eq!(x.len(), rows * k, "activations are [rows, k]");
        quantize::rows(self, x, &[], (rows, k, self.row_stride(k)), out);
    }

    /// Activation row length in elements: `k` rounded up to the path's group of products.
    fn row_stride(self, k: usize) -> usize {
        match self {
            Kernel::Avx512Vnni => k.next_multiple_of(4),
            Kernel::Avx2 => k.next_multiple_of(2),
            Kernel::Portable => k,
        }
    }
}

/// `w` (`[k, n]`) with row `j` multiplied by `smooth[j]` (`w` itself when `smooth` is empty).
fn scaled<'a>(w: &'a [f32], n: usize, smooth: &[f32]) -> std::borrow::Cow<'a, [f32]> {
    if smooth.is_empty() {
        return w.into();
    }
    w.chunks_exact(n).zip(smooth).flat_map(|(row, s)| row.iter().map(move |v| v * s)).collect::<Vec<f32>>().into()
}

/// Quantises `w` (`[k, n]`) per column, symmetric in ±127: each column's scale, its sum of
/// integers `Σₖ q`, and the integers, `[k][n]` like `w`.
fn quantize_columns(w: &[f32], k: usize, n: usize) -> (Vec<f32>, Vec<i32>, Vec<i8>) {
    let mut scales = vec![0f32; n];
    for row in w.chunks_exact(n) {
        for (s, &x) in scales.iter_mut().zip(row) {
            *s = s.max(x.abs());
        }
    }
    for s in &mut scales {
        *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
    }
    let inv: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
    let mut quantised = vec![0i8; k * n];
    let mut sums = vec![0i32; n];
    for (row, dst) in w.chunks_exact(n).zip(quantised.chunks_exact_mut(n)) {
        for (((d, &x), &i), sum) in dst.iter_mut().zip(row).zip(&inv).zip(sums.iter_mut()) {
            let v = quantize::round(x * i).clamp(-127.0, 127.0) as i8;
            *d = v;
            *sum += v as i32;
        }
    }
    (scales, sums, quantised)
}

/// Lays `q(k, column)` out in panels of `nr` columns, each `[k / group][nr][group]`, padded
/// with zeros past `k` and `n`.
fn panels<T: Copy + Default>(
    k: usize,
    n: usize,
    nr: usize,
    group: usize,
    q: impl Fn(usize, usize) -> T,
) -> Vec<T> {
    let (kp, np) = (k.next_multiple_of(group), n.next_multiple_of(nr));
    let mut out = vec![T::default(); kp * np];
    let mut at = 0;
    for c0 in (0..np).step_by(nr) {
        for k0 in (0..kp).step_by(group) {
            for c in c0..c0 + nr {
                for kk in k0..k0 + group {
                    if c < n && kk < k {
                        out[at] = q(kk, c);
                    }
                    at += 1;
                }
            }
        }
    }
    out
}

impl PackedWeights {
    /// Input width.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Output width.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The path the weights were packed for.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// `out = x · W + bias` for `rows` rows of `x` (`[rows, k]` f32), into `out`
    /// (`[rows, n]`), then GELU when `gelu`; `scratch` holds the quantised rows between calls.
    pub fn matmul(&self, x: &[f32], rows: usize, scratch: &mut QuantizedRows, out: &mut [f32], gelu: bool) {
        assert_eq!(out.len(), rows * self.n, "output is [rows, n]");
        assert_eq!(x.len(), rows * self.k, "input is [rows, k]");
        let stride = self.kernel.row_stride(self.k);
        quantize::rows(self.kernel, x, &self.channels, (rows, self.k, stride), scratch);
        let mut second = std::mem::take(&mut scratch.rest);
        self.products(scratch, out, &mut second, gelu);
        scratch.rest = second;
    }

    /// Whether the weights were packed in two passes ([`Kernel::pack_two_pass`]).
    pub fn two_pass(&self) -> bool {
        self.rest.is_some()
    }

    /// The product for rows already quantised by [`Kernel::quantize_rows`] on this path.
    pub fn matmul_quantized(&self, a: &QuantizedRows, out: &mut [f32], gelu: bool) {
        self.products(a, out, &mut Vec::new(), gelu);
    }

    /// The product, and the second one for weights packed in two passes (into `second`,
    /// then added).
    fn products(&self, a: &QuantizedRows, out: &mut [f32], second: &mut Vec<f32>, gelu: bool) {
        let Some(rest) = &self.rest else {
            return self.product(a, out, gelu);
        };
        second.resize(out.len(), 0.0);
        self.product(a, out, false);
        rest.product(a, second, false);
        out.iter_mut().zip(second.iter()).for_each(|(y, r)| *y += r);
        if gelu {
            crate::encode::gelu::gelu_in_place(out);
        }
    }

    /// `a · W + bias`, then GELU when `gelu`.
    fn product(&self, a: &QuantizedRows, out: &mut [f32], gelu: bool) {
        assert_eq!(out.len(), a.rows * self.n, "output is [rows, n]");
        let e = Epilogue { scales: &self.scales, sums: &self.sums, bias: &self.bias, n: self.n, gelu };
        let stride = self.kernel.row_stride(self.k);
        match (&self.data, self.kernel) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `pack` chose this path only where `Kernel::available` found the CPU
            // features; the buffers have the sizes `pack` and `quantize_rows` gave them.
            (Packed::I8(w), Kernel::Avx512Vnni) => unsafe {
                avx512::matmul(&a.bytes, &a.rows(), stride, w, &e, out)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            (Packed::I16(w), Kernel::Avx2) => unsafe {
                avx2::matmul(&a.words, &a.rows(), stride, w, &e, out)
            },
            (Packed::I8(w), Kernel::Portable) => portable::matmul(&a.bytes, &a.rows(), stride, w, &e, out),
            _ => unreachable!("weights are packed only for a path this CPU runs"),
        }
    }
}

impl QuantizedRows {
    /// The per-row quantisation, as the kernels read it.
    fn rows(&self) -> Rows<'_> {
        Rows { scales: &self.scales, zeros: &self.zeros }
    }
}

/// Each row's scale and zero point.
pub(crate) struct Rows<'a> {
    pub scales: &'a [f32],
    pub zeros: &'a [i32],
}

impl Rows<'_> {
    pub fn len(&self) -> usize {
        self.scales.len()
    }
}

/// What turns a column's integer sum into its f32 output.
pub(crate) struct Epilogue<'a> {
    pub scales: &'a [f32],
    /// Per column: `Σₖ q`.
    pub sums: &'a [i32],
    pub bias: &'a [f32],
    pub n: usize,
    /// GELU after the bias.
    pub gelu: bool,
}

impl Epilogue<'_> {
    /// The output of column `c` of a row with scale `row_scale` and zero point `zero`,
    /// before the activation.
    #[inline]
    pub fn apply(&self, sum: i32, row_scale: f32, zero: i32, c: usize) -> f32 {
        (sum - zero * self.sums[c]) as f32 * (row_scale * self.scales[c]) + self.bias[c]
    }

    /// The activation over outputs just written (still in cache): GELU, or nothing.
    #[inline(always)]
    pub fn activate(&self, y: &mut [f32]) {
        if self.gelu {
            crate::encode::gelu::gelu_in_place(y);
        }
    }
}

#[cfg(test)]
mod tests;
