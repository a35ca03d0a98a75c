//! Each fused op against the same arithmetic composed from candle's differentiable ops:
//! values and every input's gradient.

use std::sync::Arc;

use candle_core::{Device, Tensor, Var, D};

use super::*;
use crate::rng::SplitMix64;
use crate::train::bert::softmax;

fn random(shape: &[usize], rng: &mut SplitMix64, std: f32) -> Var {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.normal() * std).collect();
    Var::from_vec(values, shape, &Device::Cpu).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// Asserts `a` and `b` agree within `tol` relative to the larger magnitude in `b`.
fn close(what: &str, a: &Tensor, b: &Tensor, tol: f32) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes");
    let (a, b) = (flat(a), flat(b));
    let scale = b.iter().fold(1e-6f32, |m, x| m.max(x.abs()));
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(worst <= tol * scale, "{what}: differs by {worst} (scale {scale})");
    assert!(b.iter().any(|&x| x != 0.0), "{what}: the reference is all zeros, the test proves nothing");
}

/// Runs `fused` and `composed` on the same inputs, and checks the outputs and the gradients
/// of a random weighting of them with respect to every input.
fn check(
    name: &str,
    inputs: &[Var],
    fused: impl Fn(&[Tensor]) -> Tensor,
    composed: impl Fn(&[Tensor]) -> Tensor,
) {
    let mut rng = SplitMix64::new(99);
    let ts: Vec<Tensor> = inputs.iter().map(|v| v.as_tensor().clone()).collect();
    let (a, b) = (fused(&ts), composed(&ts));
    close(&format!("{name} forward"), &a, &b, 1e-5);
    let weights = random(a.dims(), &mut rng, 1.0);
    let loss = |out: &Tensor| (out * weights.as_tensor()).unwrap().sum_all().unwrap();
    let (ga, gb) = (loss(&a).backward().unwrap(), loss(&b).backward().unwrap());
    for (i, t) in ts.iter().enumerate() {
        let (x, y) = (ga.get(t).expect("fused gradient"), gb.get(t).expect("composed gradient"));
        close(&format!("{name} gradient of input {i}"), x, y, 1e-4);
    }
}

/// LayerNorm as the trainer first composed it.
fn layer_norm_composed(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    let mean = x.mean_keepdim(D::Minus1).unwrap();
    let centred = x.broadcast_sub(&mean).unwrap();
    let var = centred.sqr().unwrap().mean_keepdim(D::Minus1).unwrap();
    let normed = centred.broadcast_div(&(var + 1e-12).unwrap().sqrt().unwrap()).unwrap();
    normed.broadcast_mul(w).unwrap().broadcast_add(b).unwrap()
}

#[test]
fn layer_norm_matches_the_composed_one() {
    let mut rng = SplitMix64::new(1);
    let (x, w, b) =
        (random(&[37, 24], &mut rng, 2.0), random(&[24], &mut rng, 1.0), random(&[24], &mut rng, 1.0));
    // Rows with an offset, as residual sums have.
    let shifted = Var::from_tensor(&(x.as_tensor() + 3.0).unwrap()).unwrap();
    check(
        "layer_norm",
        &[shifted, w, b],
        |t| layer_norm(&t[0], &t[1], &t[2]).unwrap(),
        |t| layer_norm_composed(&t[0], &t[1], &t[2]),
    );
}

#[test]
fn add_bias_matches_broadcast_add() {
    let mut rng = SplitMix64::new(2);
    let (y, b) = (random(&[300, 20], &mut rng, 1.0), random(&[20], &mut rng, 1.0));
    check("add_bias", &[y, b], |t| add_bias(&t[0], &t[1]).unwrap(), |t| t[0].broadcast_add(&t[1]).unwrap());
}

#[test]
fn bias_gelu_matches_candle_gelu_erf() {
    let mut rng = SplitMix64::new(3);
    let (y, b) = (random(&[50, 40], &mut rng, 3.0), random(&[40], &mut rng, 1.0));
    check(
        "bias_gelu",
        &[y, b],
        |t| bias_gelu(&t[0], &t[1]).unwrap(),
        |t| t[0].broadcast_add(&t[1]).unwrap().gelu_erf().unwrap(),
    );
}

#[test]
fn erf_is_within_its_bound() {
    // erf by its Taylor series in f64, exact to ~1e-9 on [-4, 4].
    let series = |x: f64| {
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    };
    let worst = (-4000..=4000)
        .map(|i| i as f32 / 1000.0)
        .map(|x| (gelu::erf(x) as f64 - series(x as f64)).abs())
        .fold(0f64, f64::max);
    assert!(worst < 6e-7, "erf off by {worst}");
    assert_eq!(gelu::erf(30.0), 1.0);
    assert_eq!(gelu::erf(-30.0), -1.0);
}

/// Attention as the trainer first composed it: heads split out, scores, softmax, merged.
fn attention_composed(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    key_bias: &[f32],
    seq: usize,
    heads: usize,
) -> Tensor {
    let (rows, hidden) = q.dims2().unwrap();
    let (b, d) = (rows / seq, hidden / heads);
    let split =
        |y: &Tensor| y.reshape((b, seq, heads, d)).unwrap().transpose(1, 2).unwrap().contiguous().unwrap();
    let (q, k, v) = (split(q), split(k), split(v));
    let bias = Tensor::from_slice(key_bias, (b, 1, 1, seq), &Device::Cpu).unwrap();
    let scores =
        (q.matmul(&k.transpose(2, 3).unwrap().contiguous().unwrap()).unwrap() / (d as f64).sqrt()).unwrap();
    let weights = softmax(&scores.broadcast_add(&bias).unwrap()).unwrap();
    weights
        .matmul(&v)
        .unwrap()
        .transpose(1, 2)
        .unwrap()
        .contiguous()
        .unwrap()
        .reshape((rows, hidden))
        .unwrap()
}

#[test]
fn attention_matches_the_composed_one_with_padding() {
    let mut rng = SplitMix64::new(4);
    let (seq, heads, hidden) = (7, 3, 24);
    // Three texts: 7 tokens, 4 and 1 (the rest padding).
    let real = [7usize, 4, 1];
    let key_bias: Vec<f32> =
        real.iter().flat_map(|&n| (0..seq).map(move |j| if j < n { 0.0 } else { -10000.0 })).collect();
    let rows = real.len() * seq;
    let inputs: Vec<Var> = (0..3).map(|_| random(&[rows, hidden], &mut rng, 1.0)).collect();
    let bias = Arc::new(key_bias.clone());
    check(
        "attention",
        &inputs,
        |t| attention(&t[0], &t[1], &t[2], bias.clone(), seq, heads).unwrap(),
        |t| attention_composed(&t[0], &t[1], &t[2], &key_bias, seq, heads),
    );
}

#[test]
fn shapes_are_checked() {
    let mut rng = SplitMix64::new(5);
    let y = random(&[4, 6], &mut rng, 1.0);
    let wrong = random(&[5], &mut rng, 1.0);
    assert!(add_bias(y.as_tensor(), wrong.as_tensor()).is_err());
    assert!(bias_gelu(y.as_tensor(), wrong.as_tensor()).is_err());
    assert!(layer_norm(y.as_tensor(), wrong.as_tensor(), wrong.as_tensor()).is_err());
    let t = y.as_tensor();
    assert!(attention(t, t, t, Arc::new(vec![0.0; 4]), 3, 2).is_err(), "4 rows are not whole texts of 3");
    assert!(attention(t, t, t, Arc::new(vec![0.0; 4]), 2, 4).is_err(), "6 columns are not 4 heads");
}

#[test]
fn reductions_repeat_bit_for_bit() {
    // Enough rows for many parallel tasks, whose partial sums must add up in one order.
    let mut rng = SplitMix64::new(6);
    let (x, w, b) =
        (random(&[4000, 64], &mut rng, 1.0), random(&[64], &mut rng, 1.0), random(&[64], &mut rng, 1.0));
    let grads = || {
        let out = bias_gelu(&layer_norm(x.as_tensor(), w.as_tensor(), b.as_tensor()).unwrap(), b.as_tensor())
            .unwrap();
        let g = out.sum_all().unwrap().backward().unwrap();
        (flat(g.get(w.as_tensor()).unwrap()), flat(g.get(b.as_tensor()).unwrap()))
    };
    let first = grads();
    for _ in 0..5 {
        assert_eq!(grads(), first);
    }
}
