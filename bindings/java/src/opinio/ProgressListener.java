package opinio;

/**
 * Progress of {@link Model#analyzeFile} (called before the first chunk and after each one) and
 * of {@link Opinio#train} (called after every training step).
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param percent 0 to 100
     * @param done records handled so far (analysed or unreadable), or training steps done
     * @return true to go on, false to cancel (the call then throws an {@link OpinioException}
     *     with code {@link OpinioException#CANCELLED})
     */
    boolean onProgress(double percent, long done);
}
