package opinio;

import com.sun.jna.ptr.PointerByReference;

import java.lang.ref.Reference;

/**
 * A native call that reports progress ({@code opinio_analyze_batch}, {@code opinio_train}):
 * the listener's answer becomes the callback's, and whatever it throws is caught before it can
 * unwind into native code, then rethrown once the call has returned.
 */
final class ProgressCall {
    private ProgressCall() {}

    /** The native call, given the callback (null when there is no listener) and the out-pointer. */
    interface Native {
        int apply(OpinioLibrary.ProgressFn callback, PointerByReference out);
    }

    static String run(ProgressListener listener, Native call) {
        RuntimeException[] raised = new RuntimeException[1];
        Error[] fatal = new Error[1];
        OpinioLibrary.ProgressFn callback = listener == null ? null : (percent, done, userData) -> {
            try { // nothing may unwind into native code
                return listener.onProgress(percent, done) ? 0 : 1;
            } catch (RuntimeException e) {
                raised[0] = e;
            } catch (Error e) {
                fatal[0] = e;
            }
            return 1;
        };
        try {
            PointerByReference out = new PointerByReference();
            int status = call.apply(callback, out);
            if (fatal[0] != null) throw fatal[0];
            if (raised[0] != null) throw raised[0];
            return Opinio.take(status, out);
        } finally {
            Reference.reachabilityFence(callback); // JNA holds callbacks weakly
        }
    }
}
