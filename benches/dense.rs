//! The encoder's dense products at both precisions: tract's f32 `MatMul + Add` against
//! opinio's int8 kernels (quantising the input rows included), on every SIMD path this CPU
//! runs, at the shapes MiniLM multiplies: 32 texts × 32 tokens (1024 rows) and one text of
//! 16 tokens, by 384→384 (attention projections), 384→1536 and 1536→384 (feed-forward).
//! At 1536→384 also the weights packed in two passes (`int8x2-…`), as the first layer's
//! feed-forward output runs.
//!
//! `cargo bench --bench dense`; the figures in the README's speed table say on which CPU.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opinio::encode::dense::fp32::PackedF32;
use opinio::encode::dense::{Kernel, QuantizedRows};
use opinio::rng::SplitMix64;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{
    tensor_proto::DataType, type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use tract_onnx::prelude::*;

const SHAPES: [(usize, usize, usize); 6] = [
    (1024, 384, 384),
    (1024, 384, 1536),
    (1024, 1536, 384),
    (16, 384, 384),
    (16, 384, 1536),
    (16, 1536, 384),
];

fn random(rng: &mut SplitMix64, len: usize, spread: f32) -> Vec<f32> {
    (0..len).map(|_| (rng.uniform() as f32 * 2.0 - 1.0) * spread).collect()
}

fn initializer(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..TensorProto::default()
    }
}

/// `x · w + b` as the exported encoder writes it, planned by tract for `[rows, k]` inputs.
fn tract_dense(rows: usize, k: usize, n: usize, w: &[f32], b: &[f32]) -> Arc<TypedSimplePlan> {
    let node = |op: &str, inputs: [&str; 2], output: &str| NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..NodeProto::default()
    };
    let value = |name: &str| ValueInfoProto { name: name.into(), ..ValueInfoProto::default() };
    let dim =
        |d: usize| Dimension { value: Some(dimension::Value::DimValue(d as i64)), ..Dimension::default() };
    let input = ValueInfoProto {
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim: vec![dim(rows), dim(k)] }),
            })),
            ..TypeProto::default()
        }),
        ..value("x")
    };
    let graph = GraphProto {
        node: vec![node("MatMul", ["x", "w"], "xw"), node("Add", ["xw", "b"], "y")],
        initializer: vec![initializer("w", &[k, n], w), initializer("b", &[n], b)],
        input: vec![input],
        output: vec![value("y")],
        ..GraphProto::default()
    };
    let proto = ModelProto {
        ir_version: 7,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
        graph: Some(graph),
        ..ModelProto::default()
    };
    tract_onnx::onnx()
        .model_for_proto_model(&proto)
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .expect("a one-layer graph plans")
}

fn bench_dense(c: &mut Criterion) {
    let mut rng = SplitMix64::new(3);
    let mut group = c.benchmark_group("dense");
    for (rows, k, n) in SHAPES {
        let shape = format!("{rows}x{k}x{n}");
        let x = random(&mut rng, rows * k, 2.0);
        let w = random(&mut rng, k * n, 0.05);
        let b = random(&mut rng, n, 0.1);
        let plan = tract_dense(rows, k, n, &w, &b);
        let input = Tensor::from_shape(&[rows, k], &x).expect("input tensor");
        group.bench_with_input(BenchmarkId::new("fp32-tract", &shape), &input, |bench, input| {
            bench.iter(|| plan.run(tvec!(input.clone().into_tvalue())).expect("runs"))
        });
        let mut out = vec![0f32; rows * n];
        group.bench_function(BenchmarkId::new("fp32-gemm", &shape), |bench| {
            bench.iter(|| unsafe {
                for r in 0..rows {
                    out[r * n..(r + 1) * n].copy_from_slice(&b);
                }
                gemm::gemm(
                    rows, n, k, out.as_mut_ptr(), 1, n as isize, true, x.as_ptr(), 1, k as isize,
                    w.as_ptr(), 1, n as isize, 1.0, 1.0, false, false, false, gemm::Parallelism::None,
                )
            })
        });
        if PackedF32::available() {
            let packed = PackedF32::pack(&w, k, n, &b);
            group.bench_function(BenchmarkId::new("fp32-avx512", &shape), |bench| {
                bench.iter(|| packed.matmul(&x, rows, &mut out, false))
            });
        }
        for kernel in Kernel::available() {
            let packed = kernel.pack(&w, k, n, &b);
            let mut scratch = QuantizedRows::default();
            let mut out = vec![0f32; rows * n];
            group.bench_function(BenchmarkId::new(format!("int8-{}", kernel.name()), &shape), |bench| {
                bench.iter(|| packed.matmul(&x, rows, &mut scratch, &mut out, false))
            });
            if k > n {
                let packed = kernel.pack_two_pass(&w, k, n, &b, &[]);
                group.bench_function(BenchmarkId::new(format!("int8x2-{}", kernel.name()), &shape), |bench| {
                    bench.iter(|| packed.matmul(&x, rows, &mut scratch, &mut out, false))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_dense);
criterion_main!(benches);
