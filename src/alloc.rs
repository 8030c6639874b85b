//! The process's memory allocator: on Linux, jemalloc for everything,
//! DuckDB's C++ allocations as well as recur's own; its options; and
//! handing freed pages back to the system once a cycle's work is done.
//!
//! Why jemalloc: DuckDB allocates and frees without pause (hash tables,
//! string heaps, result chunks, the WAL's buffers), and with glibc's
//! malloc that is a part of every query. DuckDB's own builds (its CLI, its
//! Python package) link jemalloc on Linux; the `duckdb` crate's bundled
//! build does not. Measured against glibc (release, 2 cores, alternating
//! runs, the same output):
//! - GitHub first sync of 1M issues (the sandbox's `--bench-issues
//!   1000000`): 43.6–44.5 → 40.8–41.2 s, peak RSS 297 → 295–297 MB.
//! - Reports over the 1M-item file (`--format json`): `monthly` 3.75–4.40
//!   → 3.49–3.60 s, `lint` 1.49–1.63 → 1.34–1.49 s, `trends` 1.49–1.65 →
//!   1.43–1.59 s, `quarterly` and `repeats` within 2 %; peak RSS +5–15 MB.
//! - The 100k bench's syncs and backfills: within its run-to-run spread;
//!   the daemon at rest 24.9 → 28.0–28.5 MB.
//!
//! The crate's `unprefixed_malloc_on_supported_platforms` feature is what
//! makes jemalloc the C `malloc` too, and so DuckDB's; without it only
//! Rust's allocations would move. mimalloc, tried the same way, was as
//! fast but held 360–375 MB at the 100k sync's peak against glibc's 278.

/// Every Rust allocation goes to jemalloc, as the C ones do.
#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, which it reads from the C symbol `malloc_conf`
/// before its first allocation (the `MALLOC_CONF` environment variable
/// can still override them, for measuring). Its defaults (four arenas a
/// CPU, freed pages kept ten seconds) held the 100k GitHub first sync at
/// 297–301 MB against glibc's 279: two arenas and freed pages given back
/// after a quarter of a second hold it at 281–285 MB, at the same speed.
/// Giving them back at once (`dirty_decay_ms:0`) made the sync 30 %
/// slower (page faults), and arenas per CPU (`percpu_arena`) 5 % slower
/// than two arenas (threads move between CPUs). Two on any machine: a
/// thread's small allocations come from its own cache without a lock, and
/// DuckDB's large ones (its 256 KB blocks) are few.
pub const OPTIONS: &str = "narenas:2,dirty_decay_ms:250,muzzy_decay_ms:0";

/// [`OPTIONS`] as jemalloc reads them: a pointer to a NUL-terminated
/// string (a `&[u8; N]` is a thin pointer; a `&CStr` would not be).
#[cfg(target_os = "linux")]
#[export_name = "malloc_conf"]
pub static MALLOC_CONF: &[u8; OPTIONS.len() + 1] = &{
    let mut conf = [0u8; OPTIONS.len() + 1];
    let text = OPTIONS.as_bytes();
    let mut i = 0;
    while i < text.len() {
        conf[i] = text[i];
        i += 1;
    }
    conf
};

/// Purges every arena (4096: jemalloc's index for "all arenas").
#[cfg(target_os = "linux")]
const PURGE_ALL: &std::ffi::CStr = c"arena.4096.purge";

/// Hands the allocator's free pages back to the system now rather than
/// after their decay time. Called by the process that ran a cycle (or the
/// daemon's start-up work) once it closed the database: that work leaves
/// tens of MB freed, and a daemon between cycles holds no database, so its
/// resident size should say so (measured by `recur bench`: "daemon at
/// rest"). Whether the allocator did: a failure changes nothing but the
/// resident size.
pub fn give_back_freed_memory() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the name is NUL-terminated; purge reads and writes no
        // value, so every pointer is null and the length 0. It only
        // returns the arenas' unused pages.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                PURGE_ALL.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        rc == 0
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Reads one of jemalloc's `opt.*` values.
    fn opt<T: Default>(name: &str) -> T {
        let name = format!("opt.{name}\0");
        let mut value = T::default();
        let mut len = std::mem::size_of::<T>();
        // SAFETY: `name` is NUL-terminated; `value` is `len` bytes of the
        // type jemalloc documents for the option (checked by the length it
        // writes back).
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr().cast(),
                (&mut value as *mut T).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, 0, "mallctl {name}");
        assert_eq!(len, std::mem::size_of::<T>(), "size of {name}");
        value
    }

    #[test]
    fn the_allocator_runs_with_recurs_options() {
        // Without the exported `malloc_conf` (or with a pointer jemalloc
        // cannot read as a C string) these are jemalloc's defaults: four
        // arenas a CPU, 10,000 ms. (`muzzy_decay_ms:0` is jemalloc 5.3's
        // default already; OPTIONS states it so that another version
        // cannot change it, and it cannot tell the two apart here.)
        if std::env::var_os("MALLOC_CONF").is_some() {
            eprintln!("MALLOC_CONF is set: it overrides recur's options");
            return;
        }
        assert_eq!(opt::<u32>("narenas"), 2);
        assert_eq!(opt::<isize>("dirty_decay_ms"), 250);
    }

    #[test]
    fn c_allocations_go_to_jemalloc() {
        // DuckDB allocates through the C `malloc`: with jemalloc unprefixed
        // that is jemalloc's, which knows the size class it handed out
        // (glibc's would answer with its own chunk size, or crash).
        // SAFETY: malloc/free of one block; sallocx reads a live block.
        unsafe {
            let p = libc::malloc(100);
            assert!(!p.is_null());
            assert_eq!(tikv_jemalloc_sys::sallocx(p, 0), 112);
            libc::free(p);
        }
    }

    #[test]
    fn freed_memory_is_given_back_on_demand() {
        // jemalloc answers a control name it does not know with ENOENT.
        let v = vec![7u8; 64 << 20];
        assert_eq!(v[v.len() - 1], 7);
        drop(v);
        assert!(give_back_freed_memory());
    }
}
