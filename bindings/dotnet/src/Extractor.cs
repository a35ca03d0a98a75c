using System;

namespace Opinio
{
    /// <summary>A loaded extraction model folder (e.g. "models/invoices"). Load once and share:
    /// every method is thread-safe. Dispose releases it (twice is harmless); calls still running
    /// on other threads finish first, later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public sealed class Extractor : IDisposable
    {
        private readonly ExtractorHandle handle;

        private Extractor(ExtractorHandle handle, string path)
        {
            this.handle = handle;
            Path = path;
        }

        /// <summary>The folder the model was loaded from.</summary>
        public string Path { get; private set; }

        /// <summary>Loads an extraction model folder; throws <see cref="OpinioException"/>.</summary>
        public static Extractor Load(string dir)
        {
            if (dir == null) throw new ArgumentNullException("dir");
            ExtractorHandle h;
            int status = NativeMethods.opinio_extractor_load(Utf8.Encode(dir), out h);
            if (status != 0)
            {
                h.Dispose();
                NativeMethods.Check(status);
            }
            return new Extractor(h, dir);
        }

        /// <summary>Extracts the fields of a PDF, JPEG, PNG, TIFF, WEBP or NAME.words.json file:
        /// the Studio's extraction response (matches, bboxes, hitl, ...), with each page as a
        /// base64 PNG under "annotated_pages" when <paramref name="annotatedPages"/>.</summary>
        public string ExtractFile(string path, bool annotatedPages = false)
        {
            if (path == null) throw new ArgumentNullException("path");
            NativeString json;
            int status = NativeMethods.opinio_extract_file(Live(), Utf8.Encode(path), Options(annotatedPages), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>As <see cref="ExtractFile"/> for a document in memory; <paramref name="name"/>
        /// (e.g. "scan.png") names it in the response and in errors.</summary>
        public string ExtractBytes(string name, byte[] data, bool annotatedPages = false)
        {
            if (name == null) throw new ArgumentNullException("name");
            if (data == null) throw new ArgumentNullException("data");
            NativeString json;
            int status = NativeMethods.opinio_extract_bytes(Live(), Utf8.Encode(name), data,
                new UIntPtr((ulong)data.LongLength), Options(annotatedPages), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>Releases the model once no call is using it. Safe to call twice.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private static byte[] Options(bool annotatedPages)
        {
            return Utf8.Encode("{\"annotated_pages\":" + Json.Bool(annotatedPages) + "}");
        }

        private ExtractorHandle Live()
        {
            if (handle.IsClosed) throw new ObjectDisposedException("Extractor", "extractor " + Path + " is disposed");
            return handle;
        }
    }
}
