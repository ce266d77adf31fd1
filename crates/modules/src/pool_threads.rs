//! The threads that open pooled connections (r2d2) for the cachedb modules.
//!
//! r2d2 starts three threads per pool unless given a pool of threads; one small set shared by
//! every pool of every cachedb module (memcached, Redis) is enough, as connections are opened
//! lazily and rarely.

use std::sync::{Arc, OnceLock};

use scheduled_thread_pool::ScheduledThreadPool;

/// The shared connector threads, started on first use.
pub(crate) fn connector_threads() -> Arc<ScheduledThreadPool> {
    static POOL: OnceLock<Arc<ScheduledThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Arc::new(
            ScheduledThreadPool::builder()
                .num_threads(2)
                .thread_name_pattern("cachedb-connect-{}")
                .build(),
        )
    })
    .clone()
}
