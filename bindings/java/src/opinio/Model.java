package opinio;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.List;
import java.util.Objects;

/**
 * A loaded model folder. Load once and share: every method is thread-safe. {@link #close()}
 * waits for calls running on other threads, then frees the model (closing twice is harmless;
 * later calls throw {@link IllegalStateException}). A model never closed is freed when it is
 * garbage-collected.
 */
public final class Model extends NativeHandle {
    private Model(Pointer pointer, String path) {
        super(pointer, Opinio.LIB::opinio_model_free, path, "Model");
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

    /**
     * Loads a model folder with load options as JSON, e.g. {@code {"precision": "int8"}} (the
     * encoder's dense layers in int8: about twice as fast, within about 0.01 F1).
     *
     * @throws OpinioException {@link OpinioException#MALFORMED} for an unknown option or value
     */
    public static Model load(String dir, String optionsJson) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(optionsJson, "optionsJson");
        PointerByReference out = new PointerByReference();
        Opinio.check(Opinio.LIB.opinio_model_load_with(dir, optionsJson, out));
        return new Model(out.getValue(), dir);
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
     * The {@code size} documents a correction session should show, the most doubtful kind
     * first: {@code {"documents": [...], "predicted_score": S}}.
     */
    public String sample(List<String> texts, int size) {
        String request = "{\"documents\":" + Opinio.documents(texts) + ",\"size\":" + size + "}";
        return call(p -> {
            PointerByReference out = new PointerByReference();
            return Opinio.take(Opinio.LIB.opinio_sample(p, request, out), out);
        });
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
        return call(p -> ProgressCall.run(listener,
                (callback, out) -> Opinio.LIB.opinio_analyze_batch(p, path, optionsJson, callback, null, out)));
    }
}
