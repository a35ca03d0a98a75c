use super::*;
use crate::rng::SplitMix64;

fn random(rng: &mut SplitMix64, len: usize, spread: f32) -> Vec<f32> {
    (0..len).map(|_| (rng.uniform() as f32 * 2.0 - 1.0) * spread).collect()
}

fn product(kernel: Kernel, x: &[f32], w: &[f32], bias: &[f32], rows: usize, k: usize, n: usize) -> Vec<f32> {
    product_then(kernel, x, w, bias, (rows, k, n), false)
}

fn product_then(
    kernel: Kernel,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    shape: (usize, usize, usize),
    gelu: bool,
) -> Vec<f32> {
    let (rows, k, n) = shape;
    let packed = kernel.pack(w, k, n, bias);
    let mut out = vec![f32::NAN; rows * n];
    packed.matmul(x, rows, &mut QuantizedRows::default(), &mut out, gelu);
    out
}

/// GELU folded into the product is GELU applied to the product, on every path.
#[test]
fn gelu_after_the_product_is_applied_to_every_output() {
    let mut rng = SplitMix64::new(5);
    for (rows, k, n) in [(13, 384, 1536), (7, 20, 70)] {
        let x = random(&mut rng, rows * k, 2.0);
        let w = random(&mut rng, k * n, 0.1);
        let bias = random(&mut rng, n, 1.0);
        let plain = product(Kernel::Portable, &x, &w, &bias, rows, k, n);
        let want: Vec<f32> = plain.iter().map(|&y| crate::encode::gelu::gelu(y)).collect();
        for kernel in Kernel::available() {
            let out = product_then(kernel, &x, &w, &bias, (rows, k, n), true);
            let same = out.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{} at {rows}x{k}x{n}", kernel.name());
        }
    }
}

/// Integer operands at full scale quantise without rounding, so every path must give the
/// exact product, offsets and padding included.
#[test]
fn integer_operands_give_exact_products() {
    let (rows, k, n) = (7, 13, 70);
    // Each weight column holds 127 and each activation row spans -127..=128 exactly, so
    // every scale is 1 (and each row's zero point 127).
    let w: Vec<f32> = (0..k * n)
        .map(|i| if i / n == i % n % k { 127.0 } else { ((i * 37) % 255) as f32 - 127.0 })
        .collect();
    let x: Vec<f32> = (0..rows * k)
        .map(|i| match i % k {
            0 => -127.0,
            1 => 128.0,
            _ => ((i * 91) % 256) as f32 - 127.0,
        })
        .collect();
    let bias: Vec<f32> = (0..n).map(|c| c as f32).collect();
    for kernel in Kernel::available() {
        let out = product(kernel, &x, &w, &bias, rows, k, n);
        for r in 0..rows {
            for c in 0..n {
                let want: f32 = (0..k).map(|j| x[r * k + j] * w[j * n + c]).sum::<f32>() + bias[c];
                assert_eq!(out[r * n + c], want, "{} at ({r}, {c})", kernel.name());
            }
        }
    }
}

/// Every path sums the same integers and applies the same epilogue: outputs are
/// bit-identical to the portable path's, at the encoder's shapes and at ragged ones.
#[test]
fn every_path_matches_the_portable_one_bit_for_bit() {
    let mut rng = SplitMix64::new(7);
    for (rows, k, n) in [(1, 384, 384), (33, 384, 1536), (13, 1536, 384), (5, 7, 3), (97, 30, 81), (6, 4, 64)]
    {
        let x = random(&mut rng, rows * k, 3.0);
        let w = random(&mut rng, k * n, 0.1);
        let bias = random(&mut rng, n, 1.0);
        let reference = product(Kernel::Portable, &x, &w, &bias, rows, k, n);
        for kernel in Kernel::available() {
            let out = product(kernel, &x, &w, &bias, rows, k, n);
            let same = out.iter().zip(&reference).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{} differs from portable at {rows}x{k}x{n}", kernel.name());
        }
    }
}

/// Against the f32 product: 8-bit steps on both sides keep the error to a few percent of the
/// output's spread.
#[test]
fn quantised_products_stay_close_to_f32() {
    let mut rng = SplitMix64::new(11);
    let (rows, k, n) = (32, 384, 384);
    let x = random(&mut rng, rows * k, 2.0);
    let w = random(&mut rng, k * n, 0.05);
    let out = product(Kernel::detect(), &x, &w, &[], rows, k, n);
    let exact: Vec<f32> =
        (0..rows * n).map(|i| (0..k).map(|j| x[i / n * k + j] * w[j * n + i % n]).sum()).collect();
    let spread = (exact.iter().map(|v| v * v).sum::<f32>() / exact.len() as f32).sqrt();
    let worst = out.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst < 0.05 * spread, "worst error {worst} for an output spread of {spread}");
}

#[test]
fn zero_rows_and_columns_are_exact_zeros() {
    let (rows, k, n) = (3, 8, 20);
    let mut w = vec![0.5f32; k * n];
    for j in 0..k {
        w[j * n + 4] = 0.0;
    }
    let mut x = vec![1.0f32; rows * k];
    x[k..2 * k].fill(0.0);
    for kernel in Kernel::available() {
        let out = product(kernel, &x, &w, &[], rows, k, n);
        assert!(out[n..2 * n].iter().all(|&v| v == 0.0), "{}: a zero row", kernel.name());
        assert_eq!(out[4], 0.0, "{}: a zero column", kernel.name());
        assert_eq!(out[0], 4.0, "{}", kernel.name());
    }
}

#[test]
fn portable_is_always_available_and_last() {
    let paths = Kernel::available();
    assert_eq!(paths.last(), Some(&Kernel::Portable));
    assert_eq!(Kernel::detect(), paths[0]);
}

/// Smoothing moves a channel's scale from the input to the weights: the product stays the
/// same up to quantisation, and an input with an outlier channel is quantised better.
#[test]
fn smoothing_keeps_the_product_and_tames_an_outlier_channel() {
    let mut rng = SplitMix64::new(13);
    let (rows, k, n) = (16, 64, 48);
    let mut x = random(&mut rng, rows * k, 1.0);
    for r in 0..rows {
        x[r * k + 5] *= 40.0; // one outlier channel, as BERT's LayerNorm outputs have
    }
    let w = random(&mut rng, k * n, 0.1);
    let exact: Vec<f32> =
        (0..rows * n).map(|i| (0..k).map(|j| x[i / n * k + j] * w[j * n + i % n]).sum()).collect();
    let error = |out: &[f32]| out.iter().zip(&exact).map(|(a, b)| (a - b).abs()).sum::<f32>();
    let mut smooth = vec![1.0f32; k];
    smooth[5] = 40f32.sqrt();
    let mut reference = None;
    for kernel in Kernel::available() {
        let plain = product(kernel, &x, &w, &[], rows, k, n);
        let packed = kernel.pack_smoothed(&w, k, n, &[], &smooth);
        let mut out = vec![0f32; rows * n];
        packed.matmul(&x, rows, &mut QuantizedRows::default(), &mut out, false);
        assert!(
            error(&out) < 0.6 * error(&plain),
            "{}: smoothed {} vs plain {}",
            kernel.name(),
            error(&out),
            error(&plain)
        );
        let bits: Vec<u32> = out.iter().map(|v| v.to_bits()).collect();
        assert_eq!(reference.get_or_insert(bits.clone()), &bits, "{}: paths agree", kernel.name());
    }
}

/// Weights packed in two passes lose (nearly) nothing to rounding: with activations that
/// quantise exactly (integers spanning -127..=128, so every row's scale is 1), the product
/// is at least 50 times closer to the f32 one than with one pass, on every path, and every
/// path gives the same values.
#[test]
fn weights_in_two_passes_take_the_rounding_out() {
    let mut rng = SplitMix64::new(9);
    let (rows, k, n) = (5, 1536, 40);
    let x: Vec<f32> = (0..rows * k)
        .map(|i| match i % k {
            0 => -127.0,
            1 => 128.0,
            _ => (rng.uniform() * 255.0).floor() as f32 - 127.0,
        })
        .collect();
    let mut w = random(&mut rng, k * n, 0.05);
    w[7 * n + 3] = 2.0; // one large weight coarsens its column's 8-bit steps
    let bias = random(&mut rng, n, 1.0);
    let exact: Vec<f64> = (0..rows * n)
        .map(|i| {
            let (r, c) = (i / n, i % n);
            (0..k).map(|j| x[r * k + j] as f64 * w[j * n + c] as f64).sum::<f64>() + bias[c] as f64
        })
        .collect();
    let error = |y: &[f32]| y.iter().zip(&exact).map(|(&a, &b)| (a as f64 - b).abs()).fold(0f64, f64::max);
    let mut first: Option<Vec<f32>> = None;
    for kernel in Kernel::available() {
        let packed = kernel.pack_two_pass(&w, k, n, &bias, &[]);
        assert!(packed.two_pass());
        let one = product(kernel, &x, &w, &bias, rows, k, n);
        let mut two = vec![f32::NAN; rows * n];
        packed.matmul(&x, rows, &mut QuantizedRows::default(), &mut two, false);
        let (e1, e2) = (error(&one), error(&two));
        assert!(e2 * 50.0 < e1, "{}: one pass off by {e1}, two by {e2}", kernel.name());
        match &first {
            None => first = Some(two),
            Some(f) => assert_eq!(f, &two, "{} differs from the first path", kernel.name()),
        }
    }
}
