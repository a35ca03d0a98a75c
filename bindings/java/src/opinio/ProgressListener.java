package opinio;

/** Progress of {@link Model#analyzeFile}: called before the first chunk and after each one. */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param percent 0 to 100
     * @param done records handled so far (analysed or unreadable)
     * @return true to go on, false to cancel (the call then throws an {@link OpinioException}
     *     with code {@link OpinioException#CANCELLED})
     */
    boolean onProgress(double percent, long done);
}
