//! Fused multi-head attention as a tract operator.
//!
//! [`fuse`] rewrites the ONNX graph so each layer's attention is one `OpinioAttention` node;
//! [`framework`] is tract-onnx with that node type registered; [`FusedAttention`] is the
//! typed operator tract plans and runs, and [`kernel`] does its arithmetic. Measured on the
//! MiniLM encoder (2 cores, 2000 review sentences), see the README's analysis speed section.

mod fuse;
mod kernel;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use crate::encode::graph::attr;

pub(crate) use fuse::fuse_attention;
// The training op (`crate::train::ops`) runs the same forward arithmetic.
pub(crate) use kernel::{attend, exp_nonpositive, live_keys, Dims};

/// Teaches tract-onnx to read the fused attention nodes [`fuse_attention`] writes.
pub(crate) fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert(fuse::OP_TYPE, parse);
}

/// Reads an `OpinioAttention` node's attributes.
fn parse(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let heads = attr(node, "heads").map(|a| a.i).filter(|&h| h > 0).context("attention without heads")?;
    let scale = attr(node, "scale")
        .map(|a| a.f)
        .filter(|s| s.is_finite())
        .context("attention without a finite scale")?;
    Ok((expand(Attention { heads: heads as usize, scale }), vec![]))
}

/// The node as parsed, before types are known: checks arities and shapes, then wires
/// [`FusedAttention`].
#[derive(Clone, Debug)]
struct Attention {
    heads: usize,
    scale: f32,
}

impl Expansion for Attention {
    fn name(&self) -> StaticName {
        "OpinioAttention".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 4)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].rank, 3)?;
        s.equals(&inputs[3].rank, 4)?;
        s.equals(&inputs[0].datum_type, f32::datum_type())?;
        s.equals(&inputs[3].datum_type, f32::datum_type())?;
        s.equals(&outputs[0].datum_type, &inputs[0].datum_type)?;
        s.equals(&outputs[0].shape, &inputs[0].shape)?;
        s.equals(&inputs[1].shape, &inputs[0].shape)?;
        s.equals(&inputs[2].shape, &inputs[0].shape)?;
        Ok(())
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, FusedAttention { heads: self.heads, scale: self.scale }, inputs)
    }
}

/// `softmax(q k^T * scale + mask) v` over `heads` heads, on `[batch, seq, hidden]` inputs
/// and a `[batch, 1, 1, seq]` additive mask; the output has the inputs' shape.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FusedAttention {
    heads: usize,
    scale: f32,
}

// The scale is never NaN (checked finite when parsed), so equality is an equivalence.
impl Eq for FusedAttention {}

impl Op for FusedAttention {
    fn name(&self) -> StaticName {
        "OpinioAttention".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("heads: {}, scale: {}", self.heads, self.scale)])
    }

    op_as_typed_op!();
}

impl EvalOp for FusedAttention {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (q, k, v, mask) = args_4!(inputs);
        let &[batch, seq, hidden] = q.shape() else { bail!("attention input of shape {:?}", q.shape()) };
        ensure!(k.shape() == q.shape() && v.shape() == q.shape(), "attention q, k, v shapes differ");
        ensure!(hidden % self.heads == 0, "hidden size {hidden} does not split into {} heads", self.heads);
        let m = mask.shape();
        ensure!(
            m.len() == 4 && (m[0] == batch || m[0] == 1) && m[1] == 1 && m[2] == 1 && m[3] == seq,
            "attention mask of shape {m:?}, expected [{batch}, 1, 1, {seq}]"
        );
        let mask = plain(&mask)?;
        let mask: std::borrow::Cow<[f32]> = if m[0] == batch {
            mask.into()
        } else {
            mask.iter().copied().cycle().take(batch * seq).collect()
        };
        let dims = Dims { batch, seq, heads: self.heads, head_dim: hidden / self.heads };
        // SAFETY: `attend` writes every value (each row of each head) before it is read.
        let mut out = unsafe { Tensor::uninitialized::<f32>(&[batch, seq, hidden])? };
        {
            let mut view = out.try_as_plain_ram_mut()?;
            let values = view.as_slice_mut::<f32>()?;
            kernel::attend(plain(&q)?, plain(&k)?, plain(&v)?, &mask, dims, self.scale, values);
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for FusedAttention {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs.len() == 4, "attention takes q, k, v and a mask");
        ensure!(inputs[0].rank() == 3 && inputs[3].rank() == 4, "attention input ranks");
        ensure!(inputs.iter().all(|f| f.datum_type == f32::datum_type()), "attention runs on f32");
        Ok(tvec!(f32::fact(inputs[0].shape.clone())))
    }

    as_op!();
}

/// The values of a plain f32 tensor.
fn plain(t: &TValue) -> TractResult<&[f32]> {
    t.try_as_plain_ram()?.as_slice::<f32>()
}

#[cfg(test)]
mod tests {
    use crate::encode::model::OnnxGraph;
    use crate::encode::tokenize::Tokenizer;
    use crate::encode::Encoder;

    #[test]
    fn fused_graph_equals_the_exported_one() {
        let dir = Encoder::default_model_dir();
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
        let texts = [
            "The pasta was great but the waiter ignored us.",
            "Fine.",
            "Would come back for the view, not the food.",
        ];
        let tokens: Vec<_> = texts.iter().map(|t| tokenizer.encode(t).unwrap()).collect();
        let refs: Vec<_> = tokens.iter().collect();
        let batch = crate::encode::tokenize::TokenBatch::pad(&refs, tokenizer.pad_id());
        let fused = OnnxGraph::read(dir.join("model.onnx")).unwrap().optimize().unwrap().into_plan().unwrap();
        let plain =
            OnnxGraph::read_unfused(dir.join("model.onnx")).unwrap().optimize().unwrap().into_plan().unwrap();
        let (a, b) = (fused.run(&batch).unwrap(), plain.run(&batch).unwrap());
        for (r, len) in batch.lengths.iter().enumerate() {
            let n = len * a.hidden;
            let (x, y) = (&a.row(r)[..n], &b.row(r)[..n]);
            let worst = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            assert!(worst < 1e-4, "text {r}: fused and exported graphs differ by {worst}");
        }
    }
}
