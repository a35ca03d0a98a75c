//! SHA-256 checksums of the files a model folder uses.
//!
//! A model folder may come from a stranger, or have been damaged since it was saved: two
//! flipped bytes in a weights file still load and answer, just wrongly. So [`Model::save`]
//! records the SHA-256 of every file the manifest names and of the encoder's files, and
//! loading checks each one before it is used, refusing a changed or truncated file by name.
//!
//! What this guards against is a file changed at rest (damage, a swapped or edited file,
//! a folder assembled from parts). Someone who can rewrite the folder *while* opinio loads
//! it could equally rewrite the manifest; that is the host's file permissions' job.
//!
//! [`Model::save`]: super::Model::save

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// File name (relative to its folder) → lowercase hexadecimal SHA-256.
pub type Checksums = BTreeMap<String, String>;

/// The files of an encoder folder that loading reads.
pub const ENCODER_FILES: [&str; 2] = ["model.onnx", "tokenizer.json"];

/// The SHA-256 of the file at `path`, read in 1 MiB pieces.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(|e| Error::from(e).with_path(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksums of `files` in `dir`.
pub(crate) fn checksums<'a>(dir: &Path, files: impl IntoIterator<Item = &'a str>) -> Result<Checksums> {
    files.into_iter().map(|name| Ok((name.to_string(), sha256_file(&dir.join(name))?))).collect()
}

/// Checks that every recorded checksum is 64 hexadecimal digits; `field` names the manifest
/// field in the error.
pub(crate) fn check_format(sums: &Checksums, field: &str) -> Result<()> {
    for (name, sum) in sums {
        if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::malformed(format!(
                "manifest field \"{field}\" gives {name:?} the checksum {sum:?}, which is not 64 hexadecimal digits"
            )));
        }
    }
    Ok(())
}

/// Why [`verify`] refused a file.
#[derive(Debug)]
pub(crate) enum Mismatch {
    /// The manifest records no checksum for it.
    Unrecorded,
    /// The file differs from the recorded checksum: recorded, found.
    Differs(String, String),
}

/// Checks the file `name` in `dir` against `recorded`.
pub(crate) fn compare(
    dir: &Path,
    name: &str,
    recorded: &Checksums,
) -> Result<std::result::Result<(), Mismatch>> {
    let Some(want) = recorded.get(name) else { return Ok(Err(Mismatch::Unrecorded)) };
    let got = sha256_file(&dir.join(name))?;
    Ok(if got.eq_ignore_ascii_case(want) { Ok(()) } else { Err(Mismatch::Differs(want.clone(), got)) })
}

/// [`compare`], as an error: a changed file names itself; a missing record names no path,
/// for the caller to name the manifest (`field` is the manifest field that should hold it).
pub(crate) fn verify(dir: &Path, name: &str, recorded: &Checksums, field: &str) -> Result<()> {
    match compare(dir, name, recorded)? {
        Ok(()) => Ok(()),
        Err(Mismatch::Unrecorded) => Err(Error::malformed(format!(
            "the manifest records no sha256 for {name:?} in \"{field}\"; opinio records one for every file \
             it saves. A folder saved by an earlier opinio, or assembled by hand, can be sealed with \
             `opinio seal DIR` once you trust its files"
        ))),
        Err(Mismatch::Differs(want, got)) => Err(Error::malformed(format!(
            "{name} does not match the sha256 its manifest records ({want}, the file's is {got}): it was \
             changed or truncated after the model was saved. Restore the file, or save the model again"
        ))
        .with_path(dir.join(name))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verify_names_the_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("w.bin"), b"weights").unwrap();
        let sums = checksums(dir.path(), ["w.bin"]).unwrap();
        verify(dir.path(), "w.bin", &sums, "sha256").unwrap();
        std::fs::write(dir.path().join("w.bin"), b"weighs").unwrap();
        let e = verify(dir.path(), "w.bin", &sums, "sha256").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Malformed);
        assert!(e.to_string().contains("w.bin does not match"), "{e}");
        let e = verify(dir.path(), "other.bin", &sums, "sha256").unwrap_err();
        assert!(e.to_string().contains("records no sha256 for \"other.bin\""), "{e}");
        let bad: Checksums = [("w.bin".to_string(), "xyz".to_string())].into();
        assert!(check_format(&bad, "sha256").is_err());
        assert!(check_format(&sums, "sha256").is_ok());
    }
}
