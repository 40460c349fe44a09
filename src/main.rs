//! The `drctl` binary: everything lives in the library; this only hands over.

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    drctl::cli::main()
}

/// glibc gives threads up to 8 × cores malloc arenas; drctl runs a thread per host that
/// mostly waits on the network, so the arenas cost memory (~6 MiB at 200 hosts, measured
/// in the fan-out benchmark) and win nothing. Two are plenty.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called first thing in main, before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
