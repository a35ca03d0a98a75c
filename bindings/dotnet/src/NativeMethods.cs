// P/Invoke declarations for the exports of include/opinio.h; keep in step with the header.
//
// Strings go in as NUL-terminated UTF-8 byte arrays (Utf8.Encode) so that no runtime's
// ANSI/UTF-16 default applies; strings handed out come back as NativeString handles and are
// freed by opinio_string_free. The library name "opinio" resolves to opinio.dll on Windows
// and libopinio.so on Linux (Mono and .NET both add the prefix and suffix).

using System;
using System.Runtime.InteropServices;

namespace Opinio
{
    /// <summary>Callback of opinio_analyze_batch and opinio_train: return 0 to go on, non-zero to cancel.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int ProgressCallback(double percent, ulong done, IntPtr userData);

    internal static class NativeMethods
    {
        private const string Lib = "opinio";

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr opinio_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr opinio_last_error();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void opinio_string_free(IntPtr s);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_model_load(byte[] dir, out ModelHandle model);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_model_load_with(byte[] dir, byte[] optionsJson, out ModelHandle model);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void opinio_model_free(IntPtr model);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_model_meta(ModelHandle model, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_analyze(ModelHandle model, byte[] requestJson, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_analyze_batch(ModelHandle model, byte[] path, byte[] optionsJson,
            ProgressCallback progress, IntPtr userData, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_segment(byte[] requestJson, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_preview(byte[] path, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_train_zero_shot(byte[] optionsJson, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_train(byte[] optionsJson, ProgressCallback progress, IntPtr userData,
            out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_sample(ModelHandle model, byte[] requestJson, out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_extractor_load(byte[] dir, out ExtractorHandle extractor);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void opinio_extractor_free(IntPtr extractor);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_extract_file(ExtractorHandle extractor, byte[] path, byte[] optionsJson,
            out NativeString json);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int opinio_extract_bytes(ExtractorHandle extractor, byte[] name, byte[] data,
            UIntPtr len, byte[] optionsJson, out NativeString json);

        /// <summary>Throws the OpinioException for a non-zero status. Call it right after the
        /// failing call, on the same thread: the message is thread-local in the library.</summary>
        internal static void Check(int status)
        {
            if (status != 0)
                throw new OpinioException(status, Utf8.Decode(opinio_last_error()));
        }

        /// <summary>Checks the status, then copies the returned string and frees it.</summary>
        internal static string Take(int status, NativeString json)
        {
            using (json)
            {
                Check(status);
                return json.Read();
            }
        }
    }
}
