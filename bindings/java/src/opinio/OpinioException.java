package opinio;

/**
 * A call into opinio failed: {@link #code()} is the library's status (see include/opinio.h;
 * 100-199 the library's errors, 200-299 the boundary's) and the message is the library's own.
 */
public class OpinioException extends RuntimeException {
    public static final int INVALID_ARGUMENT = 100;
    public static final int IO = 101;
    public static final int INVALID_UTF8 = 102;
    public static final int MALFORMED = 103;
    public static final int UNSUPPORTED = 104;
    public static final int LIMIT_EXCEEDED = 105;
    public static final int CANCELLED = 106;
    public static final int INTERNAL = 107;
    public static final int NULL_ARGUMENT = 200;
    public static final int INVALID_UTF8_ARGUMENT = 201;
    public static final int PANIC = 202;

    private static final long serialVersionUID = 1L;
    private final int code;

    public OpinioException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The status code, e.g. {@link #INVALID_ARGUMENT}. */
    public int code() {
        return code;
    }

    /** Whether a progress listener cancelled the call. */
    public boolean isCancelled() {
        return code == CANCELLED;
    }
}
