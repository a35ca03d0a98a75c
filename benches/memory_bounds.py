#!/usr/bin/env python3
"""Peak memory of long inputs: it must stay flat as the input grows.

Two runs of each, a small input and a large one, whole `opinio` process, peak resident
memory from the kernel (wait4's ru_maxrss):

- `opinio segment` over a CSV of review sentences (default 64 MB, then 1 GB): ingest
  streams records and the output streams documents, so the peak should not grow with the
  file;
- `opinio extract --model models/invoices` over a PDF of text pages and of scanned pages
  (default 10, then 100 pages): text layers are small, and a scanned page's pixels are let go
  once it is read (rendering and OCR go a few pages at a time).

The inputs are made here, in a temporary folder (the CSV is written once at the larger size
and cut for the smaller). Usage:

    cargo build --release
    python3 benches/memory_bounds.py [--csv-mb 64 1024] [--pages 10 100] [--opinio target/release/opinio]

Prints one JSON line per run and a summary with the ratio large/small of each peak.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib

SENTENCES = [
    "The pasta was fresh and the tomato sauce tasted amazing.",
    "Our waiter, however, forgot the wine and never came back to check on us.",
    "Prices are fair for the portions, e.g. the lunch menu at 12.50 is a steal!",
    "We waited 40 min. for a table... Worth it? Not really.",
    "Dr. Smith recommended the place; the staff were friendly and quick.",
    "Too loud on Friday nights, but the terrace is lovely in summer.",
]


def csv_file(path, megabytes):
    """A CSV with a header and `megabytes` of rows `id,"text"` (two to four sentences each)."""
    target = megabytes << 20
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,text\n")
        written, i = 0, 0
        while written < target:
            n = 2 + i % 3
            text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(n))
            row = f'{i},"{text}"\n'
            f.write(row)
            written += len(row)
            i += 1


def pdf_object_bytes(objects):
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data, extra=b""):
    packed = zlib.compress(data, 6)
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(packed), extra) + packed + b"\nendstream"


def scan_image(page, width=1240, height=1754):
    """An A4 page at 150 dpi, 8-bit grey: dark word-shaped bars on white, as a scan's layout."""
    rows = []
    for y in range(height):
        line = (y - 150) // 40
        inside = 150 <= y < height - 150 and (y - 150) % 40 < 22
        if not inside:
            rows.append(b"\xff" * width)
            continue
        row = bytearray(b"\xff" * width)
        x = 120
        k = line * 7 + page
        while x < width - 120:
            w = 40 + (k * 37) % 120
            row[x:min(x + w, width - 120)] = b"\x20" * (min(x + w, width - 120) - x)
            x += w + 25
            k += 1
        rows.append(bytes(row))
    return b"".join(rows)


def pdf_file(path, pages, scanned):
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for p in range(pages):
        page_no = len(objects) + 1
        kids.append(f"{page_no} 0 R")
        if scanned:
            objects.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                            % (page_no + 2, page_no + 1)).encode())
            objects.append(stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
            objects.append(stream(scan_image(p), b"/Type /XObject /Subtype /Image /Width 1240 /Height 1754 /ColorSpace /DeviceGray /BitsPerComponent 8"))
        else:
            lines = [f"BT /F1 10 Tf 60 {780 - 14 * k} Td (INVOICE {p}-{k}: {SENTENCES[(p + k) % len(SENTENCES)]}) Tj ET" for k in range(50)]
            text = "\n".join(lines).encode("latin-1")
            objects.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_no + 1)).encode())
            objects.append(stream(text))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    with open(path, "wb") as f:
        f.write(pdf_object_bytes(objects))


def peak(cmd):
    """Runs `cmd` with its output thrown away; returns (seconds, peak RSS in MB, exit status)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        err = proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}): {err[-2000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, code


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv-mb", type=int, nargs=2, default=[64, 1024])
    ap.add_argument("--pages", type=int, nargs=2, default=[10, 100])
    ap.add_argument("--opinio", default="target/release/opinio")
    ap.add_argument("--only", choices=["csv", "pdf"], help="run one kind only")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "csv"):
            big = os.path.join(tmp, "big.csv")
            csv_file(big, max(args.csv_mb))
            for mb in sorted(args.csv_mb):
                path = big
                if mb != max(args.csv_mb):
                    path = os.path.join(tmp, f"{mb}.csv")
                    csv_file(path, mb)
                seconds, rss, _ = peak([args.opinio, "segment", "--column-name", "text", path])
                results.append({"run": "segment csv", "input_mb": round(os.path.getsize(path) / 2**20), "seconds": round(seconds, 1), "peak_rss_mb": round(rss)})
                print(json.dumps(results[-1]), flush=True)
        if args.only in (None, "pdf"):
            for scanned in (False, True):
                for pages in sorted(args.pages):
                    path = os.path.join(tmp, f"{pages}-{'scan' if scanned else 'text'}.pdf")
                    pdf_file(path, pages, scanned)
                    seconds, rss, _ = peak([args.opinio, "extract", "--model", "models/invoices", path])
                    results.append({"run": f"extract pdf ({'scanned' if scanned else 'text'} pages)", "pages": pages, "seconds": round(seconds, 1), "peak_rss_mb": round(rss)})
                    print(json.dumps(results[-1]), flush=True)
    runs = {}
    for r in results:
        runs.setdefault(r["run"], []).append(r["peak_rss_mb"])
    summary = {run: {"peak_rss_mb": peaks, "large_over_small": round(peaks[-1] / peaks[0], 2)} for run, peaks in runs.items()}
    print(json.dumps({"summary": summary}))


if __name__ == "__main__":
    main()
