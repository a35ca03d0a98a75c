//! AdamW, fused: one pass over each parameter's values per step, in place.
//!
//! candle-nn's AdamW builds a dozen temporary tensors per parameter per step (measured
//! 0.42 s a step for MiniLM's 22.7 M parameters on 2 cores); here each parameter keeps its
//! moments as plain vectors, and one parallel loop reads the gradient where candle stored it
//! and updates the moments and the variable's own storage (a candle in-place op): no copy of
//! the values or the gradient is made.

use std::cell::RefCell;

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, InplaceOp1, Layout, Var};
use rayon::prelude::*;

use super::bert::{ce, flat_values};
use crate::Result;

/// Values per parallel task of the update.
const CHUNK: usize = 1 << 15;

/// One group of parameters sharing a learning rate.
pub struct Group {
    vars: Vec<Var>,
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
        let zeros: Vec<Vec<f32>> = vars.iter().map(|v| vec![0.0; v.as_tensor().elem_count()]).collect();
        let decay = vars.iter().map(|v| v.as_tensor().rank() >= 2).collect();
        Ok(Group { vars, m: zeros.clone(), v: zeros, decay, lr })
    }

    /// One update at step `t` (from 1) with learning-rate factor `scale` (the schedule).
    pub fn step(&mut self, grads: &GradStore, opt: &AdamW, t: u64, scale: f64) -> Result<()> {
        let c1 = 1.0 - opt.beta1.powi(t as i32) as f32;
        let c2 = 1.0 - opt.beta2.powi(t as i32) as f32;
        for i in 0..self.vars.len() {
            let var = &self.vars[i];
            let Some(grad) = grads.get(var.as_tensor()) else { continue };
            let g = super::ops::read(grad).map_err(ce)?;
            let update = Update {
                g: &g,
                m: RefCell::new(&mut self.m[i]),
                v: RefCell::new(&mut self.v[i]),
                lr: (self.lr * scale) as f32,
                wd: if self.decay[i] { opt.weight_decay as f32 } else { 0.0 },
                betas: (opt.beta1 as f32, opt.beta2 as f32),
                corrections: (c1, c2),
                eps: opt.eps as f32,
            };
            var.as_tensor().inplace_op1(&update).map_err(ce)?;
        }
        Ok(())
    }

    /// The current values, in variable order.
    pub fn values(&self) -> Result<Vec<Vec<f32>>> {
        self.vars.iter().map(|v| flat_values(v.as_tensor())).collect()
    }
}

/// One variable's update, run by candle on the variable's storage.
struct Update<'a> {
    g: &'a [f32],
    m: RefCell<&'a mut [f32]>,
    v: RefCell<&'a mut [f32]>,
    lr: f32,
    wd: f32,
    betas: (f32, f32),
    corrections: (f32, f32),
    eps: f32,
}

impl InplaceOp1 for Update<'_> {
    fn name(&self) -> &'static str {
        "opinio-adamw"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let (CpuStorage::F32(all), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
            candle_core::bail!("AdamW updates contiguous f32 variables")
        };
        let p = &mut all[start..end];
        let (mut m, mut v) = (self.m.borrow_mut(), self.v.borrow_mut());
        if p.len() != self.g.len() || m.len() != p.len() {
            candle_core::bail!("AdamW: {} values, {} gradients, {} moments", p.len(), self.g.len(), m.len())
        }
        let Update { lr, wd, betas: (b1, b2), corrections: (c1, c2), eps, .. } = *self;
        p.par_chunks_mut(CHUNK)
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .zip(self.g.par_chunks(CHUNK))
            .for_each(|(((p, m), v), g)| {
                for (((p, m), v), &g) in p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    let update = (*m / c1) / ((*v / c2).sqrt() + eps);
                    *p -= lr * (update + wd * *p);
                }
            });
        Ok(())
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
