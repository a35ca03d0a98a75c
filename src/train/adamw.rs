//! AdamW, fused: one pass over each parameter's values per step.
//!
//! candle-nn's AdamW builds a dozen temporary tensors per parameter per step (measured
//! 0.42 s a step for MiniLM's 22.7 M parameters on 2 cores); here each parameter keeps its
//! values and moments as plain vectors, one loop updates all three in place, and the new
//! values are copied into the variable once.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use super::bert::ce;
use crate::Result;

/// One group of parameters sharing a learning rate.
pub struct Group {
    vars: Vec<Var>,
    values: Vec<Vec<f32>>,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    decay: Vec<bool>,
    /// Peak learning rate.
    pub lr: f64,
}

/// AdamW hyper-parameters shared by all groups.
#[derive(Clone, Copy, Debug)]
pub struct AdamW {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub eps: f64,
    /// Decoupled weight decay (not applied to biases and LayerNorm parameters).
    pub weight_decay: f64,
}

impl Default for AdamW {
    fn default() -> Self {
        AdamW { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 }
    }
}

impl Group {
    /// A group over `vars`; a variable with fewer than 2 dimensions (bias, LayerNorm) is not
    /// decayed.
    pub fn new(vars: Vec<Var>, lr: f64) -> Result<Group> {
        let values = vars
            .iter()
            .map(|v| v.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(ce))
            .collect::<Result<Vec<_>>>()?;
        let zeros: Vec<Vec<f32>> = values.iter().map(|v| vec![0.0; v.len()]).collect();
        let decay = vars.iter().map(|v| v.as_tensor().rank() >= 2).collect();
        Ok(Group { vars, m: zeros.clone(), v: zeros, values, decay, lr })
    }

    /// One update at step `t` (from 1) with learning-rate factor `scale` (the schedule).
    pub fn step(&mut self, grads: &GradStore, opt: &AdamW, t: u64, scale: f64) -> Result<()> {
        let lr = (self.lr * scale) as f32;
        let (b1, b2) = (opt.beta1 as f32, opt.beta2 as f32);
        let c1 = 1.0 - opt.beta1.powi(t as i32) as f32;
        let c2 = 1.0 - opt.beta2.powi(t as i32) as f32;
        let eps = opt.eps as f32;
        for i in 0..self.vars.len() {
            let var = &self.vars[i];
            let Some(grad) = grads.get(var.as_tensor()) else { continue };
            let g = grad.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(ce)?;
            let wd = if self.decay[i] { opt.weight_decay as f32 } else { 0.0 };
            let (p, m, v) = (&mut self.values[i], &mut self.m[i], &mut self.v[i]);
            for k in 0..p.len() {
                let gk = g[k];
                m[k] = b1 * m[k] + (1.0 - b1) * gk;
                v[k] = b2 * v[k] + (1.0 - b2) * gk * gk;
                let update = (m[k] / c1) / ((v[k] / c2).sqrt() + eps);
                p[k] -= lr * (update + wd * p[k]);
            }
            let t = Tensor::from_slice(p, var.as_tensor().shape(), var.device()).map_err(ce)?;
            var.set(&t).map_err(ce)?;
        }
        Ok(())
    }

    /// The current values, in variable order.
    pub fn values(&self) -> &[Vec<f32>] {
        &self.values
    }
}

/// Linear warm-up over the first `warmup` steps, then linear decay to zero at `total`.
pub fn schedule(step: u64, warmup: u64, total: u64) -> f64 {
    if step <= warmup && warmup > 0 {
        return step as f64 / warmup as f64;
    }
    let rest = total.saturating_sub(warmup).max(1) as f64;
    (total.saturating_sub(step) as f64 / rest).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn minimises_a_quadratic() {
        let x = Var::from_slice(&[3.0f32, -2.0], 2, &Device::Cpu).unwrap();
        let mut g = Group::new(vec![x.clone()], 0.1).unwrap();
        for t in 1..=300 {
            let loss = x.as_tensor().sqr().unwrap().sum_all().unwrap();
            g.step(&loss.backward().unwrap(), &AdamW::default(), t, 1.0).unwrap();
        }
        let v = x.as_tensor().to_vec1::<f32>().unwrap();
        assert!(v.iter().all(|x| x.abs() < 0.05), "{v:?}");
        assert_eq!(schedule(5, 10, 100), 0.5);
        assert_eq!(schedule(100, 10, 100), 0.0);
    }
}
