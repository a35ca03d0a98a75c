package opinio;

import com.sun.jna.NativeLong;
import com.sun.jna.ptr.PointerByReference;

import java.util.Objects;

/**
 * A loaded extraction model folder (e.g. "models/invoices"). Load once and share: every method
 * is thread-safe. {@link #close()} waits for calls running on other threads, then frees it.
 */
public final class Extractor extends NativeHandle {
    private Extractor(com.sun.jna.Pointer pointer, String path) {
        super(pointer, Opinio.LIB::opinio_extractor_free, path, "Extractor");
    }

    /** Loads an extraction model folder; throws {@link OpinioException} when it can't. */
    public static Extractor load(String dir) {
        Objects.requireNonNull(dir, "dir");
        PointerByReference out = new PointerByReference();
        Opinio.check(Opinio.LIB.opinio_extractor_load(dir, out));
        return new Extractor(out.getValue(), dir);
    }

    /**
     * Extracts the fields of a PDF, JPEG, PNG, TIFF, WEBP or NAME.words.json file: the Studio's
     * extraction response (matches, bboxes, hitl, ...), with each page as a base64 PNG under
     * "annotated_pages" when {@code annotatedPages}.
     */
    public String extractFile(String path, boolean annotatedPages) {
        Objects.requireNonNull(path, "path");
        return call(p -> {
            PointerByReference out = new PointerByReference();
            return Opinio.take(Opinio.LIB.opinio_extract_file(p, path, options(annotatedPages), out), out);
        });
    }

    /** As {@link #extractFile} for a document in memory; {@code name} (e.g. "scan.png") names it. */
    public String extractBytes(String name, byte[] data, boolean annotatedPages) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
        return call(p -> {
            PointerByReference out = new PointerByReference();
            int status = Opinio.LIB.opinio_extract_bytes(p, name, data, new NativeLong(data.length),
                    options(annotatedPages), out);
            return Opinio.take(status, out);
        });
    }

    private static String options(boolean annotatedPages) {
        return "{\"annotated_pages\":" + annotatedPages + "}";
    }
}
