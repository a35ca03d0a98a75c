//! Flate bombs: a PDF stream that inflates to far more than any page needs.
//!
//! hayro inflates a stream whole when a page uses it, with no bound on the result; deflate
//! reaches about 1,000 to 1, so a 1 MB stream can ask for a gigabyte. Before any page is
//! read, every Flate stream large enough to break [`Limits::max_pdf_stream_bytes`] is
//! inflated here into a counter that stops at the limit: nothing is kept, and the file is
//! refused by name if one stream would pass it.

use std::io::Read;

use hayro::hayro_interpret::hayro_syntax::object::Object;
use hayro::hayro_interpret::hayro_syntax::{Filter, Pdf};

use crate::{Limits, Result};

/// Deflate's largest expansion is 1032 to 1; a stream shorter than the limit over this
/// cannot exceed it and is not inflated twice.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Refuses the PDF when one of its Flate streams inflates to more than the limit.
pub(crate) fn check(pdf: &Pdf, limits: &Limits) -> Result<()> {
    let max = limits.max_pdf_stream_bytes;
    for object in pdf.objects() {
        let Object::Stream(stream) = object else { continue };
        if stream.filters().first() != Some(&Filter::FlateDecode) {
            continue;
        }
        let raw = stream.raw_data();
        if (raw.len() as u64).saturating_mul(MAX_DEFLATE_RATIO) <= max {
            continue;
        }
        let inflated = inflated_size(&raw, max);
        if inflated > max {
            let what = format!("pdf stream {:?} inflated", stream.obj_id());
            return Err(crate::limits::exceeded(
                "max_pdf_stream_bytes",
                &what,
                format!("over {max} bytes"),
                max,
            ));
        }
    }
    Ok(())
}

/// How many bytes `raw` inflates to (zlib, else raw deflate), counting no further than
/// `max + 1`. A stream that does not inflate counts what it gave before failing: hayro
/// will refuse it on its own.
fn inflated_size(raw: &[u8], max: u64) -> u64 {
    let count =
        |reader: &mut dyn Read| std::io::copy(&mut reader.take(max + 1), &mut std::io::sink()).unwrap_or(0);
    let zlib = count(&mut flate2::read::ZlibDecoder::new(raw));
    if zlib > 0 {
        return zlib;
    }
    count(&mut flate2::read::DeflateDecoder::new(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn counts_without_keeping_and_stops_past_the_limit() {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 10 << 20]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 20_000, "10 MB of zeros deflate to {} bytes", bomb.len());
        assert_eq!(inflated_size(&bomb, 1 << 20), (1 << 20) + 1);
        assert_eq!(inflated_size(&bomb, 100 << 20), 10 << 20);
    }
}
