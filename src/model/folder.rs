//! A model folder on disk: its manifest, the files it names, and the encoder it refers to.
//!
//! A model folder is untrusted input. Reading one checks, before any file is used:
//!
//! - the manifest's size, syntax and format version;
//! - that every file it names (`head.weights`, `encoder.weights`) is a plain relative path
//!   inside the folder: no absolute path, no `..`, no symbolic link leading out;
//! - that every such file matches the SHA-256 the manifest records ([`super::integrity`]);
//! - that the encoder, the one thing outside the folder, is found *by name* (a plain folder
//!   name, not a path) among the model's sibling folders, the configured models root
//!   ([`super::LoadOptions::models_root`], else `$OPINIO_MODELS`) or the shipped models, and
//!   is the folder whose files match the checksums recorded for it.

use std::path::{Component, Path, PathBuf};

use super::integrity::{self, Mismatch, ENCODER_FILES};
use super::{EncoderRef, Manifest, FORMAT, MANIFEST_FILE};
use crate::encode::Encoder;
use crate::{Error, ErrorKind, Result};

/// The largest manifest read, in bytes.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Reads and checks `dir`'s manifest: syntax, version, paths kept inside the folder,
/// checksum syntax, declared classes. Files are not hashed here ([`verify_files`] does).
pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    if !dir.is_dir() {
        return Err(Error::invalid_argument("model folder not found").with_path(dir));
    }
    let size = std::fs::metadata(&path).map_err(|e| Error::from(e).with_path(&path))?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(Error::limit("manifest size", size, MAX_MANIFEST_BYTES).with_path(&path));
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::from(e).with_path(&path))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        let line = e.line() as u64;
        Error::malformed(format!("invalid manifest: {e}")).with_path(&path).with_line(line)
    })?;
    if manifest.format != FORMAT {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("model format {:?}, this build reads {FORMAT:?}", manifest.format),
        )
        .with_path(&path));
    }
    check_paths(dir, &manifest).map_err(|e| e.with_path(&path))?;
    let (declared, defined) = (&manifest.meta.classes, &manifest.definitions.classes);
    if let Some(declared) = declared {
        let names: Vec<&String> = defined.iter().map(|c| &c.name).collect();
        if declared.iter().collect::<Vec<_>>() != names {
            return Err(Error::malformed(format!(
                "\"classes\" {declared:?} do not match the class definitions {names:?}"
            ))
            .with_path(&path));
        }
    }
    Ok(manifest)
}

/// The folder's own files the manifest uses: the head's weights, and a fine-tuned
/// encoder's values when there are any.
pub(crate) fn own_files(manifest: &Manifest) -> Vec<&str> {
    std::iter::once(manifest.head.weights.as_str()).chain(manifest.encoder.weights.as_deref()).collect()
}

/// Every path and checksum field of the manifest is well formed and stays inside `dir`.
fn check_paths(dir: &Path, manifest: &Manifest) -> Result<()> {
    inside_folder(dir, &manifest.head.weights, "head.weights")?;
    if let Some(file) = &manifest.encoder.weights {
        inside_folder(dir, file, "encoder.weights")?;
    }
    plain_name(&manifest.encoder.name)?;
    integrity::check_format(&manifest.sha256, "sha256")?;
    integrity::check_format(&manifest.encoder.sha256, "encoder.sha256")
}

/// Checks that the manifest field `field`, the file `rel`, names a file inside the model
/// folder `dir`: a relative path without `..`, and, where it exists, not a symlink (or below
/// one) that leads out of the folder.
fn inside_folder(dir: &Path, rel: &str, field: &str) -> Result<()> {
    let outside = |why: &str| {
        Error::malformed(format!(
            "manifest field \"{field}\" is {rel:?}, {why}; it must name a file inside the model folder"
        ))
    };
    let path = Path::new(rel);
    if rel.is_empty() || path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(outside("which is not a plain relative path"));
    }
    if let (Ok(file), Ok(folder)) = (dir.join(path).canonicalize(), dir.canonicalize()) {
        if !file.starts_with(&folder) {
            return Err(outside("which leads out of the folder through a symbolic link"));
        }
    }
    Ok(())
}

/// The encoder's name is looked up as a folder name, so it must be one: a single plain path
/// component.
fn plain_name(name: &str) -> Result<()> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) if !name.contains(['/', '\\']) => Ok(()),
        _ => Err(Error::malformed(format!(
            "manifest field \"encoder.name\" is {name:?}; it must be a folder name (like \"all-MiniLM-L6-v2\"), not a path"
        ))),
    }
}

/// Hashes the folder's own files ([`own_files`]) and checks each against the manifest.
pub(crate) fn verify_files(dir: &Path, manifest: &Manifest) -> Result<()> {
    for file in own_files(manifest) {
        integrity::verify(dir, file, &manifest.sha256, "sha256")
            .map_err(|e| e.with_path(dir.join(MANIFEST_FILE)))?;
    }
    Ok(())
}

/// Where an encoder named in a manifest may be: the model folder's siblings, the models
/// root (`root`, else `$OPINIO_MODELS`), the shipped models. Each candidate is `<place>/<name>`.
fn candidates(model_dir: &Path, name: &str, root: Option<&Path>) -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = Vec::new();
    let absolute = std::path::absolute(model_dir).unwrap_or_else(|_| model_dir.to_path_buf());
    if let Some(parent) = absolute.parent() {
        places.push(parent.to_path_buf());
    }
    match root {
        Some(root) => places.push(root.to_path_buf()),
        None => places
            .extend(std::env::var_os(crate::encode::MODELS_ENV).filter(|r| !r.is_empty()).map(PathBuf::from)),
    }
    places.extend(Encoder::default_model_dir().parent().map(Path::to_path_buf));
    let mut seen = Vec::new();
    for place in places {
        let candidate = place.join(name);
        if !seen.contains(&candidate) {
            seen.push(candidate);
        }
    }
    seen
}

/// Finds the encoder folder `r` names ([`candidates`], in order): the first that exists
/// and whose files match the manifest's `encoder.sha256`. With `check` false (sealing a
/// folder), the first that exists.
pub(crate) fn resolve_encoder(
    model_dir: &Path,
    r: &EncoderRef,
    root: Option<&Path>,
    check: bool,
) -> Result<PathBuf> {
    let mut tried = Vec::new();
    for candidate in candidates(model_dir, &r.name, root) {
        if !candidate.join(ENCODER_FILES[0]).is_file() {
            tried.push(format!("{} (no {})", candidate.display(), ENCODER_FILES[0]));
            continue;
        }
        if !check {
            return Ok(candidate);
        }
        let mut differs = None;
        for file in ENCODER_FILES {
            match integrity::compare(&candidate, file, &r.sha256)? {
                Ok(()) => {}
                Err(Mismatch::Unrecorded) => {
                    return integrity::verify(&candidate, file, &r.sha256, "encoder.sha256")
                        .map(|()| candidate)
                        .map_err(|e| e.with_path(model_dir.join(MANIFEST_FILE)));
                }
                Err(Mismatch::Differs(..)) => {
                    differs = Some(file);
                    break;
                }
            }
        }
        match differs {
            None => return Ok(candidate),
            Some(file) => {
                tried.push(format!("{} ({file} differs from the recorded sha256)", candidate.display()))
            }
        }
    }
    Err(Error::invalid_argument(format!(
        "encoder {:?} with the recorded checksums not found; tried {}. Put the encoder folder next to the \
         model folder, or name the folder that holds it with the models_root load option or {}",
        r.name,
        tried.join(", "),
        crate::encode::MODELS_ENV
    ))
    .with_path(model_dir.join(MANIFEST_FILE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_names_are_folder_names() {
        for good in ["all-MiniLM-L6-v2", "enc.v2"] {
            assert!(plain_name(good).is_ok(), "{good}");
        }
        for bad in ["", "..", ".", "../x", "a/b", "/etc", "a\\b"] {
            assert!(plain_name(bad).is_err(), "{bad}");
        }
    }
}
