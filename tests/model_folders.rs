//! Model folders are untrusted input: every file a manifest names is checked against the
//! SHA-256 it records, the encoder is found by name and checked the same way, and head
//! tensors must have the shapes the manifest implies. Each rule is broken by hand here.

use std::path::{Path, PathBuf};

use opinio::model::{self, LoadOptions};
use opinio::{ErrorKind, Model};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name)
}

/// A copy of the shipped model folder `name` at `to`.
fn copy_model(name: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(shipped(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// An encoder folder at `to` whose files are links to the shipped encoder's.
fn link_encoder(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in model::integrity::ENCODER_FILES {
        std::os::unix::fs::symlink(shipped("all-MiniLM-L6-v2").join(file), to.join(file)).unwrap();
    }
}

fn manifest_of(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(model::MANIFEST_FILE)).unwrap()).unwrap()
}

fn write_manifest(dir: &Path, manifest: &serde_json::Value) {
    std::fs::write(dir.join(model::MANIFEST_FILE), manifest.to_string()).unwrap();
}

const TEXT: &str = "The pasta was cold but the waiter was lovely.";

#[test]
fn changed_or_truncated_weights_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, file) in [
        ("restaurants-zero-shot", "head.safetensors"),
        ("restaurants", "head.safetensors"),
        ("restaurants", "encoder.safetensors"),
    ] {
        let dir = tmp.path().join(format!("{name}-{file}"));
        copy_model(name, &dir);
        let path = dir.join(file);
        let original = std::fs::read(&path).unwrap();
        // Two bytes flipped in the middle: the weights still parse and would still answer.
        let mut flipped = original.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x01;
        flipped[middle + 1] ^= 0x80;
        for (what, bytes) in [("flipped", &flipped[..]), ("truncated", &original[..original.len() - 4])] {
            std::fs::write(&path, bytes).unwrap();
            let err = Model::load(&dir).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Malformed, "{name} {file} {what}: {err}");
            let message = err.to_string();
            assert!(message.contains(&format!("{file} does not match the sha256")), "{message}");
            assert_eq!(err.path(), Some(path.as_path()), "{message}");
        }
        std::fs::write(&path, &original).unwrap();
        Model::load(&dir).unwrap();
    }
}

#[test]
fn a_folder_without_checksums_is_refused_until_sealed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("zs");
    copy_model("restaurants-zero-shot", &dir);
    let before = Model::load(&dir).unwrap().tag_texts(&[TEXT]).unwrap();
    let mut manifest = manifest_of(&dir);
    let original_sums = manifest.as_object_mut().unwrap().remove("sha256").unwrap();
    write_manifest(&dir, &manifest);
    let err = Model::load(&dir).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
    assert!(err.to_string().contains("records no sha256 for \"head.safetensors\""), "{err}");
    assert!(err.to_string().contains("opinio seal"), "{err}");
    let manifest_path = dir.join(model::MANIFEST_FILE);
    assert_eq!(err.path(), Some(manifest_path.as_path()), "{err}");
    // The encoder's files unrecorded (the folder's own are): the error names the model's
    // manifest too, not a file in the encoder's folder.
    let mut own_only = manifest_of(&dir);
    own_only["sha256"] = original_sums;
    own_only["encoder"].as_object_mut().unwrap().remove("sha256");
    write_manifest(&dir, &own_only);
    let err = Model::load(&dir).unwrap_err();
    assert!(err.to_string().contains("records no sha256 for \"model.onnx\""), "{err}");
    assert_eq!(err.path(), Some(manifest_path.as_path()), "{err}");

    let sealed = Model::seal(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(sealed.sha256.keys().collect::<Vec<_>>(), ["head.safetensors"]);
    assert_eq!(Model::load(&dir).unwrap().tag_texts(&[TEXT]).unwrap(), before);

    // Checksums that are not hexadecimal digests are refused before anything is hashed.
    let mut manifest = manifest_of(&dir);
    manifest["sha256"]["head.safetensors"] = "0123".into();
    write_manifest(&dir, &manifest);
    let err = Model::load(&dir).unwrap_err();
    assert!(err.to_string().contains("not 64 hexadecimal digits"), "{err}");
}

#[test]
fn the_encoder_is_found_by_name_and_must_match_its_checksums() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("models").join("zs");
    copy_model("restaurants-zero-shot", &dir);

    // A sibling encoder folder of that name with the same files is the one used.
    let sibling = tmp.path().join("models").join("all-MiniLM-L6-v2");
    link_encoder(&sibling);
    assert_eq!(Model::load(&dir).unwrap().encoder().dir(), sibling.as_path());

    // A sibling whose tokenizer differs is passed over for the next place that matches.
    std::fs::remove_file(sibling.join("tokenizer.json")).unwrap();
    let mut tokenizer = std::fs::read_to_string(shipped("all-MiniLM-L6-v2").join("tokenizer.json")).unwrap();
    tokenizer = tokenizer.replacen("\"[UNK]\"", "\"[UNKNOWN]\"", 1);
    std::fs::write(sibling.join("tokenizer.json"), tokenizer).unwrap();
    let model = Model::load(&dir).unwrap();
    assert_eq!(model.encoder().dir(), shipped("all-MiniLM-L6-v2").as_path());

    // The configured models root is searched after the siblings.
    let root = tmp.path().join("root");
    link_encoder(&root.join("all-MiniLM-L6-v2"));
    let options = LoadOptions { models_root: Some(root.clone()), ..LoadOptions::default() };
    let model = Model::load_with(&dir, &options).unwrap();
    assert_eq!(model.encoder().dir(), root.join("all-MiniLM-L6-v2").as_path());

    // No folder of that name with those files: refused, saying where it looked and why.
    let mut manifest = manifest_of(&dir);
    manifest["encoder"]["sha256"]["model.onnx"] = "ab".repeat(32).into();
    write_manifest(&dir, &manifest);
    let err = Model::load_with(&dir, &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let message = err.to_string();
    assert!(message.contains("with the recorded checksums not found"), "{message}");
    assert!(message.contains(&format!("{} (model.onnx differs", sibling.display())), "{message}");
    assert!(
        message.contains(&format!("{} (model.onnx differs", root.join("all-MiniLM-L6-v2").display())),
        "{message}"
    );

    // The name is a folder name, never a path.
    for name in ["../all-MiniLM-L6-v2", "/tmp", "a/b", ".."] {
        let mut bad = manifest_of(&dir);
        bad["encoder"]["name"] = name.into();
        write_manifest(&dir, &bad);
        let err = Model::load(&dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{name}: {err}");
        assert!(err.to_string().contains("must be a folder name"), "{err}");
    }
}

/// Rewrites the head weights of `dir` with `edit` applied to its tensors, then seals the
/// folder, so that only the tensor checks stand between the file and the head.
fn edit_head(dir: &Path, edit: impl FnOnce(&mut Vec<(String, Vec<usize>, Vec<f32>)>)) {
    use safetensors::tensor::{Dtype, SafeTensors, TensorView};
    let path = dir.join("head.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let values =
                view.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
            (name, view.shape().to_vec(), values)
        })
        .collect();
    edit(&mut tensors);
    let raw: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(n, s, v)| (n, s, v.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views: Vec<(String, TensorView)> =
        raw.iter().map(|(n, s, b)| (n.clone(), TensorView::new(Dtype::F32, s.clone(), b).unwrap())).collect();
    safetensors::serialize_to_file(views, None, &path).unwrap();
    Model::seal(dir, &LoadOptions::default()).unwrap();
}

#[test]
fn head_tensors_must_have_the_shapes_the_manifest_implies() {
    let tmp = tempfile::tempdir().unwrap();
    type Edit = fn(&mut Vec<(String, Vec<usize>, Vec<f32>)>);
    let cases: [(&str, Edit, &str); 5] = [
        (
            "one threshold too many",
            |t| {
                let th = t.iter_mut().find(|x| x.0 == "class_thresholds").unwrap();
                th.1[0] += 1;
                th.2.push(0.5);
            },
            "tensor class_thresholds has shape",
        ),
        ("a missing tensor", |t| t.retain(|x| x.0 != "class_scales"), "missing tensor \"class_scales\""),
        (
            "a tensor nobody asked for",
            |t| t.push(("backdoor".into(), vec![1], vec![1.0])),
            "unexpected tensors [\"backdoor\"]",
        ),
        (
            "a NaN",
            |t| t.iter_mut().find(|x| x.0 == "class_scales").unwrap().2[1] = f32::NAN,
            "tensor class_scales holds NaN",
        ),
        (
            "prototypes of another width",
            |t| {
                let p = t.iter_mut().find(|x| x.0 == "label_prototypes").unwrap();
                p.1[1] -= 1;
                let keep = p.1[0] * p.1[1];
                p.2.truncate(keep);
            },
            "differs from label dim",
        ),
    ];
    for (i, (what, edit, expected)) in cases.into_iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        copy_model("restaurants-zero-shot", &dir);
        edit_head(&dir, edit);
        let err = Model::load(&dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{what}: {err}");
        assert!(err.to_string().contains(expected), "{what}: {err}");
    }
}
