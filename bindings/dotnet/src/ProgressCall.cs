// A native call that reports progress through a callback (opinio_analyze_batch, opinio_train):
// the callback forwards percent done to an IProgress<double>, turns a cancelled token into a
// cancel, and never lets an exception unwind into native code (it is re-thrown here instead).

using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Opinio
{
    /// <summary>The native call, given the callback to pass on.</summary>
    internal delegate int NativeProgressCall(ProgressCallback callback, out NativeString json);

    internal static class ProgressCall
    {
        /// <summary>Runs <paramref name="call"/> on this thread and returns its JSON.</summary>
        /// <exception cref="OperationCanceledException">The token was cancelled; its
        /// InnerException is the library's OpinioException (Status Cancelled).</exception>
        internal static string Run(NativeProgressCall call, IProgress<double> progress, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ExceptionDispatchInfo raised = null;
            // The delegate must outlive the native call: it is a local, kept alive below.
            ProgressCallback callback = (percent, done, userData) =>
            {
                try
                {
                    if (progress != null) progress.Report(percent);
                    return cancellationToken.IsCancellationRequested ? 1 : 0;
                }
                catch (Exception e) // never let an exception unwind into native code
                {
                    raised = ExceptionDispatchInfo.Capture(e);
                    return 1;
                }
            };
            NativeString json;
            int status = call(callback, out json);
            GC.KeepAlive(callback);
            using (json)
            {
                if (status == (int)OpinioStatus.Cancelled)
                {
                    var error = new OpinioException(status, Utf8.Decode(NativeMethods.opinio_last_error()));
                    if (raised != null) raised.Throw();
                    if (cancellationToken.IsCancellationRequested)
                        throw new OperationCanceledException(error.Message, error, cancellationToken);
                    throw error;
                }
                NativeMethods.Check(status);
                return json.Read();
            }
        }
    }
}
