package opinio;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.List;
import java.util.Objects;

/**
 * What needs no loaded model: version, segmentation, file preview, training. Inputs and
 * results are the library's JSON as strings (parse them with the JSON library you already
 * use); every method is thread-safe and throws {@link OpinioException} on failure.
 */
public final class Opinio {
    static final OpinioLibrary LIB = OpinioLibrary.INSTANCE;

    private Opinio() {}

    /** The library's version, e.g. "0.1.0". */
    public static String version() {
        return LIB.opinio_version().getString(0, "UTF-8");
    }

    /**
     * Splits documents into sentences. {@code requestJson}: {@code {"documents": [{"text", "id"}],
     * "lang": "en"}}; returns {@code {"documents": [...]}}, each with {@code "segments": [{"text",
     * "span": [start, end]}]}, spans in Unicode code points.
     */
    public static String segment(String requestJson) {
        Objects.requireNonNull(requestJson, "requestJson");
        PointerByReference out = new PointerByReference();
        return take(LIB.opinio_segment(requestJson, out), out);
    }

    /** Splits texts into sentences; {@code lang} is "en", "de", "ar", or null to detect. */
    public static String segment(List<String> texts, String lang) {
        return segment("{\"documents\":" + documents(texts) + ",\"lang\":" + quote(lang) + "}");
    }

    /** The Studio's upload preview of a file: {@code {"id", "preview": [[header...], [row...]]}}. */
    public static String preview(String path) {
        Objects.requireNonNull(path, "path");
        PointerByReference out = new PointerByReference();
        return take(LIB.opinio_preview(path, out), out);
    }

    /**
     * Builds a zero-shot model folder ({@code {"type", "classes", "out", "lang", "name",
     * "labels", "base"}}, see include/opinio.h) and returns its metadata.
     */
    public static String trainZeroShot(String optionsJson) {
        Objects.requireNonNull(optionsJson, "optionsJson");
        PointerByReference out = new PointerByReference();
        return take(LIB.opinio_train_zero_shot(optionsJson, out), out);
    }

    /**
     * Fine-tunes a model on labeled data, writes its folder and returns its metadata with "score"
     * and "metrics". {@code optionsJson}: {@code {"type", "train", "out", "test", "column_mapping",
     * "header_first", "lang", "name", "base", "epochs", "seed"}} (see include/opinio.h).
     * {@code listener} (may be null) hears percent done and steps after every training step;
     * returning false cancels with {@link OpinioException#CANCELLED}, and nothing is written.
     */
    public static String train(String optionsJson, ProgressListener listener) {
        Objects.requireNonNull(optionsJson, "optionsJson");
        return ProgressCall.run(listener, (callback, out) -> LIB.opinio_train(optionsJson, callback, null, out));
    }

    /** Throws the exception for a non-zero status; call it on the failing call's thread. */
    static void check(int status) {
        if (status != 0) {
            throw new OpinioException(status, LIB.opinio_last_error().getString(0, "UTF-8"));
        }
    }

    /** Checks the status, then copies the string handed out and frees it. */
    static String take(int status, PointerByReference out) {
        Pointer p = out.getValue();
        try {
            check(status);
            return p.getString(0, "UTF-8");
        } finally {
            LIB.opinio_string_free(p); // NULL is fine
        }
    }

    /** A "documents" array of {"text": ...} objects. */
    static String documents(List<String> texts) {
        StringBuilder sb = new StringBuilder("[");
        for (String text : Objects.requireNonNull(texts, "texts")) {
            if (sb.length() > 1) sb.append(',');
            sb.append("{\"text\":").append(quote(Objects.requireNonNull(text, "text"))).append('}');
        }
        return sb.append(']').toString();
    }

    /** s as a JSON string literal, or null. */
    static String quote(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
