using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Opinio
{
    /// <summary>What needs no loaded model: version, segmentation, file preview, training.
    /// Every method is thread-safe, returns the library's JSON as a string and throws
    /// <see cref="OpinioException"/> on failure.</summary>
    public static class OpinioLib
    {
        /// <summary>The library's version, e.g. "0.1.0".</summary>
        public static string Version { get { return Utf8.Decode(NativeMethods.opinio_version()); } }

        /// <summary>Splits documents into sentences. <paramref name="requestJson"/>:
        /// {"documents": [{"text": "...", "id": 1}], "lang": "en"}; returns {"documents": [...]},
        /// each with "segments": [{"text", "span": [start, end]}] (spans in Unicode code points).</summary>
        public static string Segment(string requestJson)
        {
            if (requestJson == null) throw new ArgumentNullException("requestJson");
            NativeString json;
            int status = NativeMethods.opinio_segment(Utf8.Encode(requestJson), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>Splits texts into sentences; <paramref name="lang"/> is "en", "de", "ar",
        /// or null to detect each text's language.</summary>
        public static string Segment(IEnumerable<string> texts, string lang = null)
        {
            if (texts == null) throw new ArgumentNullException("texts");
            return Segment("{\"documents\":" + Json.Documents(texts) + ",\"lang\":" + Json.Quote(lang) + "}");
        }

        /// <summary>The Studio's upload preview of a CSV, TXT, JSON, JSONL or XLSX file:
        /// {"id", "preview": [[header...], [row...]]}.</summary>
        public static string Preview(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            NativeString json;
            int status = NativeMethods.opinio_preview(Utf8.Encode(path), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>Builds a zero-shot model folder (options as in include/opinio.h:
        /// {"type", "classes", "out", "lang", "name", "labels", "base"}) and returns its metadata.</summary>
        public static string TrainZeroShot(string optionsJson)
        {
            if (optionsJson == null) throw new ArgumentNullException("optionsJson");
            NativeString json;
            int status = NativeMethods.opinio_train_zero_shot(Utf8.Encode(optionsJson), out json);
            return NativeMethods.Take(status, json);
        }

        /// <summary>Fine-tunes a model on labeled data on this thread, writes its folder and
        /// returns its metadata with "score" and "metrics". Options as in include/opinio.h:
        /// {"type", "train", "out", "test", "column_mapping", "header_first", "lang", "name",
        /// "base", "epochs", "seed"}. Percent done goes to <paramref name="progress"/> after every step.</summary>
        /// <exception cref="OperationCanceledException">The token was cancelled; nothing is written.</exception>
        public static string Train(string optionsJson, IProgress<double> progress = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (optionsJson == null) throw new ArgumentNullException("optionsJson");
            byte[] options = Utf8.Encode(optionsJson);
            return ProgressCall.Run(
                (ProgressCallback callback, out NativeString json) =>
                    NativeMethods.opinio_train(options, callback, IntPtr.Zero, out json),
                progress, cancellationToken);
        }

        /// <summary><see cref="Train"/> on the thread pool: training takes seconds to minutes.</summary>
        public static Task<string> TrainAsync(string optionsJson, IProgress<double> progress = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Task.Run(() => Train(optionsJson, progress, cancellationToken), cancellationToken);
        }
    }
}
