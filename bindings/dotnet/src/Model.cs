using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Opinio
{
    /// <summary>A loaded model folder. Load once and share: every method is thread-safe.
    /// Dispose releases it (twice is harmless); calls still running on other threads finish
    /// first, later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public sealed class Model : IDisposable
    {
        private readonly ModelHandle handle;

        private Model(ModelHandle handle, string path)
        {
            this.handle = handle;
            Path = path;
        }

        /// <summary>The folder the model was loaded from.</summary>
        public string Path { get; private set; }

        /// <summary>Loads a model folder (e.g. "models/restaurants-zero-shot"). Takes a second
        /// or more; throws <see cref="OpinioException"/> (InvalidArgument for a missing folder).</summary>
        public static Model Load(string dir)
        {
            if (dir == null) throw new ArgumentNullException("dir");
            ModelHandle h;
            int status = NativeMethods.opinio_model_load(Utf8.Encode(dir), out h);
            if (status != 0)
            {
                h.Dispose();
                NativeMethods.Check(status);
            }
            return new Model(h, dir);
        }

        /// <summary>Loads a model folder with load options as JSON, e.g. {"precision": "int8"}
        /// (the encoder's dense layers in int8: about twice as fast, within about 0.01 F1).
        /// Throws <see cref="OpinioException"/> (Malformed for an unknown option or value).</summary>
        public static Model Load(string dir, string optionsJson)
        {
            if (dir == null) throw new ArgumentNullException("dir");
            if (optionsJson == null) throw new ArgumentNullException("optionsJson");
            ModelHandle h;
            int status = NativeMethods.opinio_model_load_with(Utf8.Encode(dir), Utf8.Encode(optionsJson), out h);
            if (status != 0)
            {
                h.Dispose();
                NativeMethods.Check(status);
            }
            return new Model(h, dir);
        }

        /// <summary>The model's metadata as JSON: name, type, language, classes, labels, ...</summary>
        public string Meta
        {
            get
            {
                NativeString json;
                int status = NativeMethods.opinio_model_meta(Live(), out json);
                return NativeMethods.Take(status, json);
            }
        }

        /// <summary>Ad-hoc analysis. <paramref name="requestJson"/>: {"documents": [{"text", "id"}],
        /// "split": true}; returns {"model", "type", "documents"}, each segment with its "tags".</summary>
        public string Analyze(string requestJson)
        {
            if (requestJson == null) throw new ArgumentNullException("requestJson");
            NativeString json;
            int status = NativeMethods.opinio_analyze(Live(), Utf8.Encode(requestJson), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>Analyses texts; with <paramref name="split"/> each is split into sentences,
        /// otherwise each text is one segment.</summary>
        public string Analyze(IEnumerable<string> texts, bool split = true)
        {
            if (texts == null) throw new ArgumentNullException("texts");
            return Analyze("{\"documents\":" + Json.Documents(texts) + ",\"split\":" + Json.Bool(split) + "}");
        }

        /// <summary>The <paramref name="size"/> documents a correction session should show, the
        /// most doubtful kind first: {"documents": [...], "predicted_score": S}.</summary>
        public string Sample(IEnumerable<string> texts, int size)
        {
            if (texts == null) throw new ArgumentNullException("texts");
            string request = "{\"documents\":" + Json.Documents(texts) + ",\"size\":" + size + "}";
            NativeString json;
            int status = NativeMethods.opinio_sample(Live(), Utf8.Encode(request), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>Analyses every document of a CSV, TXT, JSON, JSONL or XLSX file on this
        /// thread, reporting percent done (0-100) before the first chunk and after each one.
        /// Returns {"model", "type", "documents"}, plus "errors" for unreadable records.</summary>
        /// <exception cref="OperationCanceledException">The token was cancelled; its
        /// InnerException is the library's OpinioException (Status Cancelled).</exception>
        public string AnalyzeFile(string path, AnalyzeFileOptions options = null, IProgress<double> progress = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (path == null) throw new ArgumentNullException("path");
            byte[] optionsJson = Utf8.Encode((options ?? new AnalyzeFileOptions()).ToJson());
            return ProgressCall.Run(
                (ProgressCallback callback, out NativeString json) => NativeMethods.opinio_analyze_batch(
                    Live(), Utf8.Encode(path), optionsJson, callback, IntPtr.Zero, out json),
                progress, cancellationToken);
        }

        /// <summary><see cref="AnalyzeFile"/> on the thread pool. Progress goes to
        /// <paramref name="progress"/> (a <see cref="Progress{T}"/> reports on the caller's
        /// synchronization context); cancelling the token stops the batch after the current chunk.</summary>
        public Task<string> AnalyzeFileAsync(string path, AnalyzeFileOptions options = null,
            IProgress<double> progress = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Task.Run(() => AnalyzeFile(path, options, progress, cancellationToken), cancellationToken);
        }

        /// <summary>Releases the model once no call is using it. Safe to call twice.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private ModelHandle Live()
        {
            if (handle.IsClosed) throw new ObjectDisposedException("Model", "model " + Path + " is disposed");
            return handle;
        }
    }
}
