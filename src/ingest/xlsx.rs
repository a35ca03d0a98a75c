//! XLSX: the first worksheet's rows, read by calamine's streaming cell reader.
//!
//! Before calamine sees the file, the zip archive is checked: it must be one, its members'
//! declared sizes must stay within `max_uncompressed_bytes` in total and, for members over
//! 1 MiB, within `max_compression_ratio` of their compressed size, and every member is
//! decompressed once (into nothing) to verify it holds no more than it declares. Only then
//! can the declared sizes be trusted to bound what calamine loads (the shared strings).
//!
//! Cells are rendered as strings: integers without a fraction (`3`, not `3.0`), other numbers
//! in their shortest form, booleans as `true`/`false`, dates as ISO 8601, errors as Excel
//! shows them (`#DIV/0!`). Rows without any value are skipped; a row's line is its
//! worksheet row number (1-based), and column indexes count from column A.
//!
//! The cell reader borrows the workbook, so records are produced on a helper thread that owns
//! both and hands rows over a bounded channel; dropping the [`Records`](super::Records) ends it.

use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::sync::mpsc::{sync_channel, Receiver};

use calamine::{DataRef, ExcelDateTime, Reader, Xlsx, XlsxError};

use super::lines::too_long;
use super::table::{self, Row, RowSource, TableRecords};
use super::IngestOptions;
use crate::{Error, ErrorKind, Limits, Result};

/// Batches of rows the helper thread may read ahead.
const BATCHES_AHEAD: usize = 2;
/// A batch is handed over once it holds this many rows or this many bytes of cell text, so
/// that at most about `BATCHES_AHEAD + 2` batches (each at most this size plus one row) are
/// held at once.
const BATCH_ROWS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;
/// Excel's last column is XFD, index 16383.
const MAX_COLUMNS: u32 = 16_384;
/// Members at most this large are not checked for their compression ratio: small, highly
/// repetitive XML parts are legitimately very compressible, and cannot be bombs.
const RATIO_FLOOR: u64 = 1 << 20;

type Batch = Vec<Result<Row>>;

/// An XLSX workbook's rows, produced by a helper thread in batches.
pub(crate) struct XlsxRows {
    rx: Receiver<Batch>,
    batch: std::vec::IntoIter<Result<Row>>,
}

impl RowSource for XlsxRows {
    fn next_row(&mut self) -> Option<Result<Row>> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(row);
            }
            // The thread hangs up after its last row or after an error it cannot go on from.
            self.batch = self.rx.recv().ok()?.into_iter();
        }
    }
}

/// Checks the archive and starts reading the first worksheet.
pub(crate) fn open<RS>(rs: RS, opts: &IngestOptions) -> Result<TableRecords<XlsxRows>>
where
    RS: Read + Seek + Send + 'static,
{
    let mut rs = BufReader::new(rs);
    check_archive(&mut rs, &opts.limits)?;
    rs.seek(SeekFrom::Start(0))?;
    let (tx, rx) = sync_channel::<Batch>(BATCHES_AHEAD);
    // The workbook is opened on the thread; its verdict comes back first, so that a file
    // calamine cannot open fails here rather than at the first record.
    let (ready_tx, ready_rx) = sync_channel::<Result<()>>(1);
    let limits = opts.limits.clone();
    std::thread::Builder::new().name("opinio-xlsx".into()).spawn(move || {
        let mut ready_tx = Some(ready_tx);
        let ready = || {
            if let Some(t) = ready_tx.take() {
                let _ = t.send(Ok(()));
            }
        };
        let (mut batch, mut bytes) = (Vec::new(), 0);
        let result = stream(rs, &limits, ready, |row| {
            bytes += row.as_ref().map_or(0, |r| r.cells.iter().flatten().map(String::len).sum());
            batch.push(row);
            if batch.len() < BATCH_ROWS && bytes < BATCH_BYTES {
                return true;
            }
            bytes = 0;
            tx.send(std::mem::take(&mut batch)).is_ok()
        });
        if let Err(e) = result {
            match ready_tx.take() {
                Some(t) => drop(t.send(Err(e))),
                None => batch.push(Err(e)),
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
    })?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(Error::new(ErrorKind::Internal, "the xlsx reader thread ended early")),
    }
    TableRecords::new(XlsxRows { rx, batch: Vec::new().into_iter() }, opts)
}

/// The first `rows + 1` rows of the first worksheet, header first.
pub(crate) fn preview<RS: Read + Seek>(
    rs: RS,
    rows: usize,
    limits: &Limits,
) -> Result<Vec<Vec<Option<String>>>> {
    let mut rs = BufReader::new(rs);
    check_archive(&mut rs, limits)?;
    rs.seek(SeekFrom::Start(0))?;
    let mut got: Vec<Result<Row>> = Vec::new();
    stream(
        rs,
        limits,
        || {},
        |row| {
            let stop = row.is_err();
            got.push(row);
            !stop && got.len() <= rows
        },
    )?;
    table::preview(got.into_iter(), rows)
}

/// Refuses what is not a zip archive, and zip bombs; see the module docs.
fn check_archive<RS: Read + Seek>(rs: &mut RS, limits: &Limits) -> Result<()> {
    let mut magic = [0u8; 4];
    let n = read_up_to(rs, &mut magic)?;
    rs.seek(SeekFrom::Start(0))?;
    if magic[..n] == [0xD0, 0xCF, 0x11, 0xE0] {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "not an xlsx workbook: it is password protected or an old binary (.xls) file",
        ));
    }
    let not_zip = |e: zip::result::ZipError| {
        Error::malformed(format!("not an xlsx workbook: {}", e.to_string().to_lowercase()))
    };
    let mut archive = zip::ZipArchive::new(&mut *rs).map_err(not_zip)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let member = archive.by_index_raw(i).map_err(not_zip)?;
        let name = member_name(&member, i);
        let (size, packed) = (member.size(), member.compressed_size());
        total = total.saturating_add(size);
        if total > limits.max_uncompressed_bytes {
            return Err(Error::limit(
                &format!("uncompressed size of the xlsx workbook up to member \"{name}\""),
                format!("{total} bytes"),
                format!("{} bytes", limits.max_uncompressed_bytes),
            ));
        }
        let ratio = size / packed.max(1);
        if size > RATIO_FLOOR && ratio > limits.max_compression_ratio {
            return Err(Error::limit(
                &format!("compression ratio of xlsx member \"{name}\" ({size} bytes from {packed})"),
                ratio,
                limits.max_compression_ratio,
            ));
        }
    }
    for i in 0..archive.len() {
        let member = archive.by_index(i).map_err(not_zip)?;
        let name = member_name(&member, i);
        let declared = member.size();
        let actual = io::copy(&mut member.take(declared.saturating_add(1)), &mut io::sink())
            .map_err(|e| Error::malformed(format!("broken xlsx member \"{name}\": {e}")))?;
        if actual > declared {
            return Err(Error::malformed(format!(
                "xlsx member \"{name}\" holds more than the {declared} bytes it declares"
            )));
        }
    }
    Ok(())
}

fn member_name<R: Read>(member: &zip::read::ZipFile<'_, R>, index: usize) -> String {
    member.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("#{index}"))
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn xlsx_error(e: XlsxError) -> Error {
    match e {
        XlsxError::Io(io) => Error::from(io),
        XlsxError::Password => Error::new(ErrorKind::Unsupported, "xlsx workbook is password protected"),
        other => Error::malformed(format!("invalid xlsx workbook: {}", other.to_string().to_lowercase())),
    }
}

/// Opens the workbook, calls `ready`, then streams the first worksheet's rows to `emit` until
/// it returns `false`. Row-level errors (too long) are emitted; an error that ends the
/// reading is returned.
fn stream<RS, R, F>(rs: RS, limits: &Limits, ready: R, mut emit: F) -> Result<()>
where
    RS: Read + Seek,
    R: FnOnce(),
    F: FnMut(Result<Row>) -> bool,
{
    let mut workbook: Xlsx<RS> = Xlsx::new(rs).map_err(xlsx_error)?;
    let Some(sheet) = workbook.sheet_names().into_iter().next() else {
        ready();
        return Ok(());
    };
    let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(xlsx_error)?;
    ready();
    let max = limits.max_record_bytes;
    // The row being gathered: its index, cells, and content bytes.
    let mut current: Option<(u32, Vec<Option<String>>, u64)> = None;
    let flush = |row: Option<(u32, Vec<Option<String>>, u64)>, emit: &mut F| -> bool {
        match row {
            None => true,
            Some((r, _, bytes)) if bytes > max as u64 => {
                emit(Err(too_long(bytes, max).with_line(r as u64 + 1)))
            }
            Some((_, cells, _)) if cells.iter().all(Option::is_none) => true,
            Some((r, cells, _)) => emit(Ok(Row { line: r as u64 + 1, cells })),
        }
    };
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => {
                flush(current.take(), &mut emit);
                return Ok(());
            }
            Err(e) => {
                let line = current.as_ref().map(|c| c.0 as u64 + 1);
                let e = xlsx_error(e);
                return Err(match line {
                    Some(l) => e.with_line(l),
                    None => e,
                });
            }
        };
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            return Err(Error::malformed(format!("xlsx cell in column {c}, beyond the last column"))
                .with_line(r as u64 + 1));
        }
        if current.as_ref().is_some_and(|cur| cur.0 != r) && !flush(current.take(), &mut emit) {
            return Ok(());
        }
        let row = current.get_or_insert_with(|| (r, Vec::new(), 0));
        let Some(text) = render(cell.get_value()) else { continue };
        row.2 += text.len() as u64 + u64::from(!row.1.is_empty());
        if row.2 > max as u64 {
            row.1 = Vec::new(); // keep counting, stop keeping
            continue;
        }
        let c = c as usize;
        if row.1.len() <= c {
            row.1.resize(c + 1, None);
        }
        row.1[c] = Some(text);
    }
}

/// A cell as text; `None` when empty.
fn render(v: &DataRef<'_>) -> Option<String> {
    let s = match v {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => iso(dt),
        DataRef::DateTime(dt) => number(dt.as_f64()),
        DataRef::Error(e) => e.to_string(),
    };
    (!s.is_empty()).then_some(s)
}

/// `3` for 3.0, the shortest round-trip form otherwise.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        (f as i64).to_string()
    } else {
        f.to_string()
    }
}

/// `2025-10-13`, or `2025-10-13T12:59:02` (with `.400` when there are milliseconds).
fn iso(dt: &ExcelDateTime) -> String {
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    match (h, mi, s, ms) {
        (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
        (_, _, _, 0) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
        _ => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-12.0), "-12");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(2.5), "2.5");
    }

    #[test]
    fn not_a_zip() {
        let e = check_archive(&mut io::Cursor::new(b"hello, not a zip at all".to_vec()), &Limits::default())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().starts_with("not an xlsx workbook"), "{e}");
    }
}
