//! Facts about the machine and processes, mostly read from Linux's
//! `/proc`: CPU model, cores, memory, kernel, load average, disk sync
//! latency, CPU time and resident memory of a process, and the open-file
//! limit.
//!
//! Every `/proc` reader returns `None` when the file or field is missing, such as
//! on another operating system; the report then shows "unknown".

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// The machine a run happened on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// Threads the process may run in parallel.
    pub cores: usize,
    /// `MemTotal`, in bytes.
    pub memory_bytes: Option<u64>,
    /// The kernel release.
    pub kernel: Option<String>,
}

impl Machine {
    /// Reads the machine's description.
    pub fn describe() -> Machine {
        Machine {
            cpu_model: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, |cores| cores.get()),
            memory_bytes: field_kib("/proc/meminfo", "MemTotal:").map(|kib| kib * 1024),
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|text| text.trim().to_owned()),
        }
    }
}

fn cpu_model() -> Option<String> {
    let text = fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.trim().to_owned())
}

/// Returns the 1-minute load average: runnable and waiting threads,
/// averaged over the last minute.
pub fn load_average() -> Option<f64> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Resident memory (`VmRSS`) of process `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    field_kib(&format!("/proc/{pid}/status"), "VmRSS:").map(|kib| kib * 1024)
}

/// Peak resident memory (`VmHWM`) of this process, in bytes.
pub fn own_peak_rss_bytes() -> Option<u64> {
    field_kib("/proc/self/status", "VmHWM:").map(|kib| kib * 1024)
}

/// Median time of `rounds` appends of 4 KiB to a file in `dir`, each
/// followed by `fdatasync`: what one durable store commit waits for at
/// least.
pub fn sync_latency(dir: &Path, rounds: usize) -> std::io::Result<Duration> {
    let path = dir.join("sync-probe");
    let mut file = fs::File::create(&path)?;
    let block = [0u8; 4096];
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    fs::remove_file(&path)?;
    Ok(crate::stats::median(&mut times))
}

/// Clock ticks per second of the times in `/proc/<pid>/stat` (`USER_HZ`),
/// 100 on Linux.
const USER_HZ: u64 = 100;

/// CPU time, user plus system, that this process and its ended threads
/// have used, at a resolution of 10 ms.
pub fn own_cpu_time() -> Option<Duration> {
    let text = fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_ticks(&text).map(|ticks| Duration::from_millis(ticks * 1000 / USER_HZ))
}

/// `utime + stime` from a `stat` line. The command name in brackets may
/// hold spaces, so fields are counted from the last `)`: `utime` and
/// `stime` are the 12th and 13th after it.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Returns the soft limit on open files of this process; `None` when unlimited
/// or unknown.
pub fn open_files_limit() -> Option<u64> {
    let text = fs::read_to_string("/proc/self/limits").ok()?;
    let line = text
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    soft.parse().ok()
}

/// Reads the number before `kB` on the line of `file` that starts with `name`.
fn field_kib(file: &str, name: &str) -> Option<u64> {
    let text = fs::read_to_string(file).ok()?;
    parse_kib_field(&text, name)
}

fn parse_kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of a `kB` field is read without its unit.
    #[test]
    fn reads_kib_field() {
        let status = "Name:\tbench\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(parse_kib_field(status, "VmRSS:"), Some(1024));
    }

    /// A missing field is `None`.
    #[test]
    fn missing_field_is_none() {
        assert_eq!(parse_kib_field("Name:\tbench\n", "VmRSS:"), None);
    }

    /// User and system ticks are summed, even with spaces in the name.
    #[test]
    fn reads_cpu_ticks_after_name() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
    }

    /// This process has a resident size on Linux.
    #[test]
    fn own_rss_is_known() {
        assert!(rss_bytes(std::process::id()).is_some_and(|bytes| bytes > 0));
    }
}
