package opinio;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.Map;

/**
 * The exports of include/opinio.h, mapped by JNA; keep in step with the header.
 *
 * <p>String arguments are passed as UTF-8. Every {@code char *} the library hands out comes
 * back as a {@link Pointer} (never a JNA {@code String}) so that it can be copied, then freed
 * with {@link #opinio_string_free}. The library is found by {@code jna.library.path}, then the
 * system's library path.
 */
interface OpinioLibrary extends Library {
    OpinioLibrary INSTANCE = Native.load("opinio", OpinioLibrary.class,
            Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

    /** {@code OpinioProgressFn}: return 0 to go on, non-zero to cancel. */
    interface ProgressFn extends Callback {
        int invoke(double percent, long done, Pointer userData);
    }

    Pointer opinio_version();

    Pointer opinio_last_error();

    void opinio_string_free(Pointer s);

    int opinio_model_load(String dir, PointerByReference outModel);

    int opinio_model_load_with(String dir, String optionsJson, PointerByReference outModel);

    void opinio_model_free(Pointer model);

    int opinio_model_meta(Pointer model, PointerByReference outJson);

    int opinio_analyze(Pointer model, String requestJson, PointerByReference outJson);

    int opinio_analyze_batch(Pointer model, String path, String optionsJson, ProgressFn progress,
                             Pointer userData, PointerByReference outJson);

    int opinio_segment(String requestJson, PointerByReference outJson);

    int opinio_preview(String path, PointerByReference outJson);

    int opinio_train_zero_shot(String optionsJson, PointerByReference outJson);

    int opinio_train(String optionsJson, ProgressFn progress, Pointer userData, PointerByReference outJson);

    int opinio_sample(Pointer model, String requestJson, PointerByReference outJson);

    int opinio_extractor_load(String dir, PointerByReference outExtractor);

    void opinio_extractor_free(Pointer extractor);

    int opinio_extract_file(Pointer extractor, String path, String optionsJson, PointerByReference outJson);

    int opinio_extract_bytes(Pointer extractor, String name, byte[] data, NativeLong len, String optionsJson,
                             PointerByReference outJson);
}
