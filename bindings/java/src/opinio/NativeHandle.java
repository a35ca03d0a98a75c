package opinio;

import com.sun.jna.Pointer;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * A native handle shared between threads ({@link Model}, {@link Extractor}): calls hold a read
 * lock, {@link #close()} takes the write lock, so it waits for running calls and then frees the
 * handle once; later calls throw {@link IllegalStateException}. A handle never closed is freed
 * when it is garbage-collected.
 */
abstract class NativeHandle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The pointer and its free function; run at most once, by close() or the cleaner. */
    private static final class Handle implements Runnable {
        volatile Pointer pointer;
        private final Consumer<Pointer> free;

        Handle(Pointer pointer, Consumer<Pointer> free) {
            this.pointer = pointer;
            this.free = free;
        }

        @Override
        public void run() {
            Pointer p = pointer;
            pointer = null;
            free.accept(p);
        }
    }

    /** A call made with the live pointer. */
    interface Call {
        String apply(Pointer handle);
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final String path;
    private final String kind;

    NativeHandle(Pointer pointer, Consumer<Pointer> free, String path, String kind) {
        this.handle = new Handle(pointer, free);
        this.cleanable = CLEANER.register(this, handle);
        this.path = path;
        this.kind = kind;
    }

    /** The folder this was loaded from. */
    public String path() {
        return path;
    }

    /** Runs a call on the live handle; close() waits for it. */
    String call(Call call) {
        lock.readLock().lock();
        try {
            Pointer p = handle.pointer;
            if (p == null) throw new IllegalStateException(kind.toLowerCase() + " " + path + " is closed");
            return call.apply(p);
        } finally {
            lock.readLock().unlock();
            Reference.reachabilityFence(this); // no cleaner while a call runs
        }
    }

    /** Frees the handle once no call is using it. Safe to call more than once. */
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
        return kind + "(" + path + (handle.pointer == null ? ", closed)" : ")");
    }
}
