//! The one place opinio uses threads: rayon, behind a process-wide switch.
//!
//! A library that spawns threads must let its host say no (the host may already run one
//! opinio call per core, or forbid threads after `fork`), so every parallel loop in opinio
//! goes through this module and honours, in order:
//!
//! 1. [`set_parallel`], called by the program;
//! 2. the environment variable `OPINIO_PARALLELISM` (`false`, `0`, `off`, `no` or empty turn
//!    it off; anything else on);
//! 3. otherwise on.
//!
//! Work runs on rayon's global pool (one thread per core) unless the caller runs it inside a
//! [`Pool`] of its own size with [`Pool::install`]. Results always come back in input order.
//! The pattern follows the `tokenizers` crate's `utils/parallelism.rs`.

use std::sync::atomic::{AtomicU8, Ordering};

use rayon::prelude::*;

use crate::{Error, ErrorKind, Result};

/// The environment variable that turns opinio's threads off (`OPINIO_PARALLELISM=false`).
pub const ENV_VAR: &str = "OPINIO_PARALLELISM";

/// 0: not set by the program (read the environment), 1: off, 2: on.
static OVERRIDE: AtomicU8 = AtomicU8::new(0);

/// Turns opinio's parallel loops on or off for the whole process, overriding
/// `OPINIO_PARALLELISM`.
pub fn set_parallel(on: bool) {
    OVERRIDE.store(if on { 2 } else { 1 }, Ordering::SeqCst);
}

/// Whether parallel loops run on several threads (see the module docs for the order of
/// precedence).
pub fn is_parallel() -> bool {
    match OVERRIDE.load(Ordering::SeqCst) {
        1 => false,
        2 => true,
        _ => env_parallel(std::env::var(ENV_VAR).ok().as_deref()),
    }
}

/// Reads the environment variable's value the way `tokenizers` reads its own.
fn env_parallel(value: Option<&str>) -> bool {
    match value {
        None => true,
        Some(v) => {
            !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "false" | "f" | "off" | "no" | "n" | "0")
        }
    }
}

/// The number of threads a parallel loop started here would use: 1 when parallelism is off,
/// else the current pool's size.
pub fn current_threads() -> usize {
    if is_parallel() {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// `f` applied to every item, in parallel when allowed, results in input order.
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if is_parallel() && items.len() > 1 {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// Like [`map`], but `f` takes each item by value (to fill it in place without a copy).
pub fn map_owned<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync + Send,
{
    if is_parallel() && items.len() > 1 {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

/// `f` applied to every item, in parallel when allowed; the first error (in input order)
/// wins, otherwise the results in input order.
pub fn try_map<T, R, F>(items: &[T], f: F) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R> + Sync + Send,
{
    map(items, f).into_iter().collect()
}

/// Like [`try_map`], but every item is its own task: for a few heavy items of uneven cost
/// (model batches), so that an idle thread can take any item still waiting rather than only
/// a half of the list.
pub fn try_map_each<T, R, F>(items: &[T], f: F) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R> + Sync + Send,
{
    if is_parallel() && items.len() > 1 {
        items.par_iter().with_max_len(1).map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// A thread pool of a chosen size, for running opinio's work on fewer (or more) threads
/// than cores, e.g. to measure scaling or to leave cores to the host.
pub struct Pool {
    pool: rayon::ThreadPool,
}

impl Pool {
    /// A pool of `threads` threads (at least 1).
    pub fn new(threads: usize) -> Result<Pool> {
        if threads == 0 {
            return Err(Error::invalid_argument("threads is 0, it must be at least 1"));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("opinio-{i}"))
            .build()
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start {threads} threads: {e}")))?;
        Ok(Pool { pool })
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `f` with this pool as the one opinio's parallel loops use.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values() {
        assert!(env_parallel(None));
        for off in ["false", "FALSE", "0", "off", "no", "", " n "] {
            assert!(!env_parallel(Some(off)), "{off:?}");
        }
        for on in ["true", "1", "yes"] {
            assert!(env_parallel(Some(on)), "{on:?}");
        }
    }

    #[test]
    fn map_keeps_order_in_a_pool() {
        let pool = Pool::new(2).unwrap();
        assert_eq!(pool.threads(), 2);
        let items: Vec<u32> = (0..1000).collect();
        let out = pool.install(|| map(&items, |x| x * 2));
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let err = try_map(&items, |&x| if x == 7 { Err(Error::invalid_argument("seven")) } else { Ok(x) });
        assert_eq!(err.unwrap_err().message(), "seven");
        assert!(Pool::new(0).is_err());
    }
}
