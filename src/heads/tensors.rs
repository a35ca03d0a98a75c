//! Named f32 tensors in safetensors files, the format the ML ecosystem reads: the heads'
//! weights and a trained encoder's values (stored in half precision).

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::{Error, ErrorKind, Result};

/// Writes named f32 tensors as safetensors with a `format` tag in the metadata.
pub(crate) fn write_f32_tensors(path: &Path, tensors: &[(&str, Vec<usize>, &[f32])], format: &str) -> Result<()> {
    let bytes: Vec<(&str, &Vec<usize>, Vec<u8>)> =
        tensors.iter().map(|(n, s, v)| (*n, s, v.iter().flat_map(|x| x.to_le_bytes()).collect())).collect();
    let views = bytes
        .iter()
        .map(|(n, s, b)| {
            TensorView::new(Dtype::F32, s.to_vec(), b)
                .map(|v| (n.to_string(), v))
                .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot build tensor {n}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta: HashMap<String, String> = [("format".to_string(), format.to_string())].into();
    safetensors::serialize_to_file(views, Some(meta), path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write weights: {e}")).with_path(path))
}

/// The tensors of a weights file, taken one by one with the shape the manifest implies.
///
/// A weights file is untrusted: each tensor must have exactly the expected shape and only
/// finite values, and a file with tensors nobody asked for is refused too (it is not the
/// file the manifest describes).
pub(crate) struct NamedTensors<'a> {
    path: &'a Path,
    tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl<'a> NamedTensors<'a> {
    /// Reads every tensor of the safetensors file at `path`.
    pub(crate) fn read(path: &'a Path) -> Result<NamedTensors<'a>> {
        Ok(NamedTensors { path, tensors: read_f32_tensors(path)? })
    }

    /// Whether the file has a tensor `name` not yet taken (for tensors added after files
    /// were first saved).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Tensor `name`, whose shape must be `shape`.
    pub(crate) fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let (got, values) = self.take_any(name)?;
        if got != shape {
            return Err(Error::malformed(format!(
                "tensor {name} has shape {got:?}, expected {shape:?} (from the manifest)"
            ))
            .with_path(self.path));
        }
        Ok(values)
    }

    /// Tensor `name`, a matrix of `rows` rows (from the manifest): its values and columns.
    pub(crate) fn take_rows(&mut self, name: &str, rows: usize) -> Result<(Vec<f32>, usize)> {
        let (shape, values) = self.take_any(name)?;
        match shape[..] {
            [r, cols] if r == rows => Ok((values, cols)),
            _ => Err(Error::malformed(format!(
                "tensor {name} has shape {shape:?}, expected [{rows}, dim] (from the manifest)"
            ))
            .with_path(self.path)),
        }
    }

    fn take_any(&mut self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let (shape, values) = self
            .tensors
            .remove(name)
            .ok_or_else(|| Error::malformed(format!("missing tensor {name:?}")).with_path(self.path))?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::malformed(format!("tensor {name} holds {} at index {i}", values[i])).with_path(self.path));
        }
        Ok((shape, values))
    }

    /// Checks that every tensor of the file was taken.
    pub(crate) fn finish(self) -> Result<()> {
        let mut extra: Vec<&String> = self.tensors.keys().collect();
        extra.sort();
        match extra.is_empty() {
            true => Ok(()),
            false => Err(Error::malformed(format!("unexpected tensors {extra:?}")).with_path(self.path)),
        }
    }
}

/// Reads every tensor of a safetensors file as f32 (F32 or F16 stored), with its shape.
pub(crate) fn read_f32_tensors(path: &Path) -> Result<HashMap<String, (Vec<usize>, Vec<f32>)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::malformed(format!("not a safetensors file: {e}")).with_path(path))?;
    let mut out = HashMap::new();
    for (name, view) in st.tensors() {
        let data = view.data();
        let values: Vec<f32> = match view.dtype() {
            Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            Dtype::F16 => data.chunks_exact(2).map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]]))).collect(),
            other => {
                return Err(Error::malformed(format!("tensor {name} is {other:?}, expected F32 or F16")).with_path(path))
            }
        };
        out.insert(name, (view.shape().to_vec(), values));
    }
    Ok(out)
}

/// IEEE half to single precision.
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut f = frac;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | ((e as u32) << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Single to half precision, rounding to nearest even.
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let frac = bits & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if frac != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let f = frac | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rounded = (f + half - 1 + ((f >> shift) & 1)) >> shift;
        return sign | rounded as u16;
    }
    let rounded = frac + 0xfff + ((frac >> 13) & 1);
    let (e, f) = if rounded & 0x80_0000 != 0 { (e + 1, 0) } else { (e, rounded >> 13) };
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    sign | ((e as u16) << 10) | f as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_round_trips() {
        for x in [0.0f32, 1.0, -2.5, 0.1, 1e-5, 65504.0, -0.000_061_035_156] {
            let back = f16_to_f32(f32_to_f16(x));
            assert!((back - x).abs() <= x.abs() * 1e-3 + 1e-7, "{x} -> {back}");
        }
    }
}
