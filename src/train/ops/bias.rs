//! A dense layer's bias, alone or followed by GELU: `act(y + b)` for `y [rows, width]`,
//! `b [width]`.
//!
//! candle's `broadcast_add` reduces the bias gradient with a single-threaded sum, and its
//! `gelu_erf` calls the C library's `erf` per value, forward and again backward, with some
//! eight temporaries; here each direction is one parallel pass, GELU's `erf` a vectorising
//! polynomial ([`super::gelu`]).

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};

use super::{column_sums, gelu, per_row, read, values};

/// What follows the bias.
#[derive(Clone, Copy, PartialEq)]
enum Activation {
    None,
    Gelu,
}

struct Bias(Activation);

impl CustomOp2 for Bias {
    fn name(&self) -> &'static str {
        match self.0 {
            Activation::None => "opinio-add-bias",
            Activation::Gelu => "opinio-bias-gelu",
        }
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (y, b) = (values(s1, l1, self.name())?, values(s2, l2, self.name())?);
        let width = b.len();
        let act = self.0;
        let out = per_row(y.len() / width, width, |r, row| {
            for ((o, &y), &b) in row.iter_mut().zip(&y[r * width..]).zip(b) {
                *o = if act == Activation::Gelu { gelu::gelu(y + b) } else { y + b };
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        y: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let width = b.elem_count();
        if self.0 == Activation::None {
            let db = column_sums(&read(grad)?, width);
            return Ok((Some(grad.clone()), Some(Tensor::from_vec(db, b.shape(), b.device())?)));
        }
        let (yv, bv, g) = (read(y)?, read(b)?, read(grad)?);
        let bv: &[f32] = &bv;
        let dz = per_row(yv.len() / width, width, |r, o| {
            let at = r * width;
            for (((o, &y), &b), &g) in o.iter_mut().zip(&yv[at..]).zip(bv).zip(&g[at..]) {
                *o = g * gelu::derivative(y + b);
            }
        });
        let db = Tensor::from_vec(column_sums(&dz, width), b.shape(), b.device())?;
        let dy = Tensor::from_vec(dz, y.shape(), y.device())?;
        Ok((Some(dy), Some(db)))
    }
}

/// `y + b` with `b` added to every row of `y` (`[rows, width]`, contiguous).
pub fn add_bias(y: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    check(y, b)?;
    y.apply_op2(b, Bias(Activation::None))
}

/// `gelu(y + b)` with `b` added to every row of `y` (`[rows, width]`, contiguous).
pub fn bias_gelu(y: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    check(y, b)?;
    y.apply_op2(b, Bias(Activation::Gelu))
}

/// `b` must be one value per column of the 2-D `y`.
fn check(y: &Tensor, b: &Tensor) -> candle_core::Result<()> {
    let (_, width) = y.dims2()?;
    if b.dims() != [width] {
        candle_core::bail!("bias of shape {:?} for rows of {width}", b.dims())
    }
    Ok(())
}
