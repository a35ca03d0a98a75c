// SafeHandles for what the library hands out: a model, and a string. The runtime releases
// them exactly once (Dispose twice is a no-op) and keeps a handle alive while a P/Invoke call
// that takes it is running, so disposing a Model on one thread while another thread is still
// analysing with it defers the free until that call returns.

using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Opinio
{
    /// <summary>An OpinioModel*, released by opinio_model_free.</summary>
    internal sealed class ModelHandle : SafeHandle
    {
        private ModelHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.opinio_model_free(handle);
            return true;
        }
    }

    /// <summary>An OpinioExtractor*, released by opinio_extractor_free.</summary>
    internal sealed class ExtractorHandle : SafeHandle
    {
        private ExtractorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.opinio_extractor_free(handle);
            return true;
        }
    }

    /// <summary>A char* handed out by opinio, released by opinio_string_free.</summary>
    internal sealed class NativeString : SafeHandle
    {
        private NativeString() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>The string's UTF-8 content as a .NET string.</summary>
        public string Read() { return Utf8.Decode(handle); }

        protected override bool ReleaseHandle()
        {
            NativeMethods.opinio_string_free(handle);
            return true;
        }
    }

    /// <summary>UTF-8 both ways, without Marshal.PtrToStringUTF8 (not in .NET Framework or Mono's 4.5 profile).</summary>
    internal static class Utf8
    {
        /// <summary>A NUL-terminated UTF-8 copy of s, or null for null.</summary>
        public static byte[] Encode(string s)
        {
            if (s == null) return null;
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>The NUL-terminated UTF-8 string at p ("" for NULL).</summary>
        public static string Decode(IntPtr p)
        {
            if (p == IntPtr.Zero) return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
