package opinio;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded model folder. Load once and share: every method is thread-safe. {@link #close()}
 * waits for calls running on other threads, then frees the model (closing twice is harmless;
 * later calls throw {@link IllegalStateException}). A model never closed is freed when it is
 * garbage-collected.
 */
public final class Model implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The native handle; freed at most once, by close() or the cleaner. */
    private static final class Handle implements Runnable {
        volatile Pointer pointer;

        Handle(Pointer pointer) {
            this.pointer = pointer;
        }

        @Override
        public void run() {
            Pointer p = pointer;
            pointer = null;
            Opinio.LIB.opinio_model_free(p);
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final String path;

    private Model(Pointer pointer, String path) {
        this.handle = new Handle(pointer);
        this.cleanable = CLEANER.register(this, handle);
        this.path = path;
    }

    /**
     * Loads a model folder, e.g. "models/restaurants-zero-shot" (a second or more).
     *
     * @throws OpinioException {@link OpinioException#INVALID_ARGUMENT} for a missing folder
     */
    public static Model load(String dir) {
        Objects.requireNonNull(dir, "dir");
        PointerByReference out = new PointerByReference();
        Opinio.check(Opinio.LIB.opinio_model_load(dir, out));
        return new Model(out.getValue(), dir);
    }

    /** The folder the model was loaded from. */
    public String path() {
        return path;
    }

    /** The model's metadata as JSON: name, type, language, classes, labels, ... */
    public String meta() {
        return call(p -> {
            PointerByReference out = new PointerByReference();
            return Opinio.take(Opinio.LIB.opinio_model_meta(p, out), out);
        });
    }

    /**
     * Ad-hoc analysis. {@code requestJson}: {@code {"documents": [{"text", "id"}], "split": true}};
     * returns {@code {"model", "type", "documents"}}, each segment with its "tags".
     */
    public String analyze(String requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        return call(p -> {
            PointerByReference out = new PointerByReference();
            return Opinio.take(Opinio.LIB.opinio_analyze(p, requestJson, out), out);
        });
    }

    /** Analyses texts; with {@code split} each is split into sentences, else one segment each. */
    public String analyze(List<String> texts, boolean split) {
        return analyze("{\"documents\":" + Opinio.documents(texts) + ",\"split\":" + split + "}");
    }

    /**
     * Analyses every document of a CSV, TXT, JSON, JSONL or XLSX file. {@code optionsJson} may
     * be null or {@code {"split", "column", "column_name", "header_first", "meta", "chunk_size"}}
     * (see include/opinio.h). {@code listener} may be null; returning false from it cancels the
     * batch with {@link OpinioException#CANCELLED}, and an exception it throws stops the batch
     * and is rethrown. Returns {@code {"model", "type", "documents"}}, plus "errors" for
     * unreadable records.
     */
    public String analyzeFile(String path, String optionsJson, ProgressListener listener) {
        Objects.requireNonNull(path, "path");
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
            return call(p -> {
                PointerByReference out = new PointerByReference();
                int status = Opinio.LIB.opinio_analyze_batch(p, path, optionsJson, callback, null, out);
                if (fatal[0] != null) throw fatal[0];
                if (raised[0] != null) throw raised[0];
                return Opinio.take(status, out);
            });
        } finally {
            Reference.reachabilityFence(callback); // JNA holds callbacks weakly
        }
    }

    /** Frees the model once no call is using it. Safe to call more than once. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            cleanable.clean(); // runs Handle.run at most once
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "Model(" + path + (handle.pointer == null ? ", closed)" : ")");
    }

    private interface Call {
        String apply(Pointer model);
    }

    /** Runs a call on the live handle; close() waits for it. */
    private String call(Call call) {
        lock.readLock().lock();
        try {
            Pointer p = handle.pointer;
            if (p == null) throw new IllegalStateException("model " + path + " is closed");
            return call.apply(p);
        } finally {
            lock.readLock().unlock();
            Reference.reachabilityFence(this); // no cleaner while a call runs
        }
    }
}
