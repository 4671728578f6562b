//! The job mix: which policy, client, schedule and final status each new job
//! gets, drawn from a seeded random generator.
//!
//! The same seed gives the same sequence of plans. What a plan turns into
//! over time (states, progress, time stamps) is left to `job`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A backup policy the simulated server runs.
struct Policy {
    name: &'static str,
    policy_type: &'static str,
    clients: &'static [&'static str],
    /// Schedule name and schedule type, as the REST API spells the type
    /// (without the `ST_` prefix of the notification records).
    schedules: &'static [(&'static str, &'static str)],
}

const POLICIES: &[Policy] = &[
    Policy {
        name: "vmware-prod",
        policy_type: "VMWARE",
        clients: &[
            "web01.example.com",
            "web02.example.com",
            "app01.example.com",
        ],
        schedules: &[("daily-incr", "INCR"), ("weekly-full", "FULL")],
    },
    Policy {
        name: "fileservers",
        policy_type: "STANDARD",
        clients: &["files01.example.com", "files02.example.com"],
        schedules: &[
            ("daily-cinc", "CINC"),
            ("monthly-full", "FULL"),
            ("user-backup", "UBAK"),
        ],
    },
    Policy {
        name: "oracle-erp",
        policy_type: "ORACLE",
        clients: &["erpdb01.example.com"],
        schedules: &[("full", "FULL"), ("archive-logs", "INCR")],
    },
    Policy {
        name: "windows-desktops",
        policy_type: "MS_WINDOWS",
        clients: &["desk01.example.com", "desk02.example.com"],
        schedules: &[("daily-incr", "INCR"), ("user-archive", "UARC")],
    },
];

/// Job types with their weights out of 100.
const JOB_TYPES: &[(&str, u32)] = &[("BACKUP", 85), ("RESTORE", 8), ("DUPLICATE", 7)];

/// NetBackup exit statuses with their weights out of 100. The codes mean:
/// 0 success, 1 partially successful, 13 file read failed, 58 can't connect
/// to client, 96 unable to allocate new media, 150 termination requested by
/// administrator. Status 196 means the backup window closed before the
/// backup was attempted.
const STATUSES: &[(i32, u32)] = &[
    (0, 80),
    (1, 8),
    (13, 3),
    (58, 3),
    (96, 2),
    (150, 2),
    (196, 2),
];

const MEDIA_SERVERS: &[(&str, &str)] = &[
    ("media01.example.com", "stu-msdp-01"),
    ("media02.example.com", "stu-disk-02"),
];

/// Smallest and largest job size in kilobytes: 1 GiB and 200 GiB.
const KILOBYTES_RANGE: std::ops::RangeInclusive<u64> = 1_048_576..=209_715_200;

const FILES_RANGE: std::ops::RangeInclusive<u64> = 1_000..=2_000_000;

/// Everything about a job that is decided when it is created.
#[derive(Clone, Debug)]
pub(crate) struct JobPlan {
    pub job_type: &'static str,
    /// Empty for a restore.
    pub policy_name: &'static str,
    pub policy_type: &'static str,
    pub schedule_type: &'static str,
    /// Empty for a restore.
    pub schedule_name: &'static str,
    pub client_name: &'static str,
    pub media_server: &'static str,
    pub storage_unit: &'static str,
    /// Exit status the job ends with.
    pub final_status: i32,
    pub kilobytes_to_transfer: u64,
    pub estimated_files: u64,
    /// Share of the data sent by the end: 1.0 on success, less on failure.
    pub data_fraction: f64,
}

/// The seeded source of job plans.
pub(crate) struct JobMix {
    rng: StdRng,
}

impl JobMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Draws the plan for the next job.
    pub(crate) fn next_plan(&mut self) -> JobPlan {
        let job_type = self.pick_weighted(JOB_TYPES);
        let policy = &POLICIES[self.rng.random_range(0..POLICIES.len())];
        let client_name = policy.clients[self.rng.random_range(0..policy.clients.len())];
        let (schedule_name, schedule_type) =
            policy.schedules[self.rng.random_range(0..policy.schedules.len())];
        let (media_server, storage_unit) =
            MEDIA_SERVERS[self.rng.random_range(0..MEDIA_SERVERS.len())];
        let final_status = self.pick_weighted(STATUSES);
        let data_fraction = match final_status {
            0 => 1.0,
            1 => 0.97,
            196 => 0.0,
            _ => self.rng.random_range(0.05..0.9),
        };
        let kilobytes_to_transfer = self.rng.random_range(KILOBYTES_RANGE);
        let estimated_files = self.rng.random_range(FILES_RANGE);
        let is_restore = job_type == "RESTORE";
        JobPlan {
            job_type,
            // NOTE: restores carry the client's policy type and a FULL
            // schedule type but no policy or schedule name. Real restore
            // jobs may show other schedule types.
            policy_name: if is_restore { "" } else { policy.name },
            policy_type: policy.policy_type,
            schedule_type: if is_restore { "FULL" } else { schedule_type },
            schedule_name: if is_restore { "" } else { schedule_name },
            client_name,
            media_server,
            storage_unit,
            final_status,
            kilobytes_to_transfer,
            estimated_files,
            data_fraction,
        }
    }

    fn pick_weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u32 = table.iter().map(|(_, weight)| weight).sum();
        let mut roll = self.rng.random_range(0..total);
        for &(value, weight) in table {
            if roll < weight {
                return value;
            }
            roll -= weight;
        }
        // Unreachable because `roll < total`. The last entry keeps the
        // function total without a panic.
        table[table.len() - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two mixes with the same seed draw the same plans.
    #[test]
    fn same_seed_same_plans() {
        let mut first = JobMix::new(7);
        let mut second = JobMix::new(7);
        for _ in 0..50 {
            let a = first.next_plan();
            let b = second.next_plan();
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }

    /// Over many jobs, success is the most common status and failures occur.
    #[test]
    fn mix_is_mostly_successful() {
        let mut mix = JobMix::new(1);
        let statuses: Vec<i32> = (0..1000).map(|_| mix.next_plan().final_status).collect();
        let successes = statuses.iter().filter(|&&s| s == 0).count();
        let failures = statuses.iter().filter(|&&s| s > 1).count();
        assert!(successes > 600, "successes: {successes}");
        assert!(failures > 0, "no failures in 1000 jobs");
    }

    /// Restores have no policy name.
    #[test]
    fn restores_have_no_policy_name() {
        let mut mix = JobMix::new(3);
        let restore = (0..1000)
            .map(|_| mix.next_plan())
            .find(|plan| plan.job_type == "RESTORE")
            .expect("a restore in 1000 jobs");
        assert_eq!(restore.policy_name, "");
    }
}
