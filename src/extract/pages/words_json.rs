//! `NAME.words.json`: words already read by another OCR engine (CONTRACT section 3).

use crate::extract::Page;
use crate::{Error, Result};

pub(crate) fn read(_bytes: &[u8]) -> Result<Vec<Page>> {
    Err(Error::new(crate::ErrorKind::Unsupported, "words.json reading is being written"))
}
