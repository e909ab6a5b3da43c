//! The journal's high-water marks (`docs/journal.md`, "Pressure"): entries
//! appended and not yet confirmed by the chain, and free space on the
//! journal's file system. Above either mark the journal takes no appends,
//! and the Cx application answers 3004 (too busy) instead of doing work it
//! could not record; below the low-water mark (nine tenths of the backlog
//! mark, twice the space reserve) it takes them again by itself.
//!
//! The checks run on every request and cost a few atomic loads; the free
//! space is asked of the kernel (`statvfs`) at most every
//! [`SPACE_CHECK_EVERY`] by whichever request finds the reading old (the
//! others use the last one), and at every request while refusing.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the free space is looked at while appends are taken.
const SPACE_CHECK_EVERY: Duration = Duration::from_millis(250);

/// The marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Entries appended and not confirmed (audit records and registration
	/// reports) at which appends are refused.
	pub max_backlog: u64,
	/// Free bytes on the journal's file system below which appends are
	/// refused: room for the database to take what the log holds.
	pub min_free_bytes: u64,
}

/// The defaults of `[journal]`: 20 million entries (some 3 GB of
/// database), 256 MiB free.
impl Default for Limits {
	fn default() -> Self {
		Limits { max_backlog: 20_000_000, min_free_bytes: 256 << 20 }
	}
}

/// Why appends are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
	/// Too many entries wait for the chain.
	#[error("{pending} entries wait for the chain (high-water mark {max})")]
	Backlog {
		/// Entries appended and not confirmed.
		pending: u64,
		/// The mark.
		max: u64,
	},
	/// The journal's file system is nearly full.
	#[error("{free} bytes free on the journal's file system (reserve {min})")]
	Space {
		/// Free bytes.
		free: u64,
		/// The reserve.
		min: u64,
	},
}

/// The journal's counts and marks, shared by its clones.
pub(super) struct Pressure {
	limits: Limits,
	/// The directory of the journal's files.
	dir: PathBuf,
	/// Numbers given to audit records and reports, and the first of each
	/// not yet confirmed.
	pub(super) appended: (AtomicU64, AtomicU64),
	pub(super) confirmed: (AtomicU64, AtomicU64),
	refusing: AtomicBool,
	/// The last free-space reading, and when it was taken (nanoseconds
	/// after `epoch`).
	free: AtomicU64,
	read_at: AtomicU64,
	epoch: Instant,
	/// Held by the request that reads the free space again.
	reading: Mutex<()>,
}

impl Pressure {
	/// Marks `limits` for a journal in `dir`, with `appended` and
	/// `confirmed` its numbers as opened.
	pub(super) fn new(
		limits: Limits,
		dir: PathBuf,
		appended: (u64, u64),
		confirmed: (u64, u64),
	) -> Self {
		Pressure {
			limits,
			dir,
			appended: (AtomicU64::new(appended.0), AtomicU64::new(appended.1)),
			confirmed: (AtomicU64::new(confirmed.0), AtomicU64::new(confirmed.1)),
			refusing: AtomicBool::new(false),
			free: AtomicU64::new(u64::MAX),
			read_at: AtomicU64::new(0),
			epoch: Instant::now(),
			reading: Mutex::new(()),
		}
	}

	/// Entries appended and not confirmed.
	pub(super) fn pending(&self) -> u64 {
		let load = |a: &AtomicU64| a.load(Ordering::Acquire);
		let audit = load(&self.appended.0).saturating_sub(load(&self.confirmed.0));
		let reports = load(&self.appended.1).saturating_sub(load(&self.confirmed.1));
		audit.saturating_add(reports)
	}

	/// Whether the journal takes appends now; a change either way is logged.
	pub(super) fn admit(&self) -> Result<(), Refusal> {
		let refusing = self.refusing.load(Ordering::Acquire);
		let verdict = self.judge(refusing);
		match (&verdict, refusing) {
			(Err(why), false) if !self.refusing.swap(true, Ordering::AcqRel) => {
				tracing::warn!(reason = %why, "journal at its high-water mark: Cx requests get 3004 until it falls");
			},
			(Ok(()), true) if self.refusing.swap(false, Ordering::AcqRel) => {
				tracing::info!(
					pending = self.pending(),
					"journal below its low-water mark: Cx requests are answered again"
				);
			},
			_ => {},
		}
		verdict
	}

	/// Whether appends are refused now (as last judged).
	pub(super) fn refusing(&self) -> bool {
		self.refusing.load(Ordering::Acquire)
	}

	/// The verdict, with the low-water marks while `refusing`.
	fn judge(&self, refusing: bool) -> Result<(), Refusal> {
		let Limits { max_backlog, min_free_bytes } = self.limits;
		let pending = self.pending();
		let backlog_mark = if refusing { max_backlog / 10 * 9 } else { max_backlog };
		if pending >= backlog_mark {
			return Err(Refusal::Backlog { pending, max: max_backlog });
		}
		let space_mark = if refusing { min_free_bytes.saturating_mul(2) } else { min_free_bytes };
		let free = self.free_bytes(refusing);
		if free < space_mark {
			return Err(Refusal::Space { free, min: min_free_bytes });
		}
		Ok(())
	}

	/// The free bytes for unprivileged use on the journal's file system:
	/// read again when the last reading is older than [`SPACE_CHECK_EVERY`]
	/// (by one request; the others meanwhile use the last reading) or
	/// `fresh` asks. A reading that fails counts as plenty (the writes
	/// themselves will tell).
	fn free_bytes(&self, fresh: bool) -> u64 {
		let read_at = self.read_at.load(Ordering::Acquire);
		let stale =
			read_at == 0 || self.nanos().saturating_sub(read_at) >= nanos(SPACE_CHECK_EVERY);
		if !fresh && !stale {
			return self.free.load(Ordering::Acquire);
		}
		let guard = match (fresh, self.reading.try_lock()) {
			(_, Ok(guard)) => guard,
			(true, Err(_)) => self.reading.lock().unwrap_or_else(|p| p.into_inner()),
			(false, Err(_)) => return self.free.load(Ordering::Acquire),
		};
		let free = rustix::fs::statvfs(&self.dir)
			.map(|s| s.f_bavail.saturating_mul(s.f_frsize))
			.unwrap_or(u64::MAX);
		self.free.store(free, Ordering::Release);
		self.read_at.store(self.nanos().max(1), Ordering::Release);
		drop(guard);
		free
	}

	/// Nanoseconds since the marks were made.
	fn nanos(&self) -> u64 {
		nanos(self.epoch.elapsed())
	}
}

/// A duration in nanoseconds, saturating (after 584 years).
fn nanos(duration: Duration) -> u64 {
	u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pressure(limits: Limits) -> Pressure {
		Pressure::new(limits, std::env::temp_dir(), (100, 0), (100, 0))
	}

	#[test]
	fn the_backlog_refuses_at_its_mark_and_takes_again_below_nine_tenths() {
		let p = pressure(Limits { max_backlog: 20, min_free_bytes: 0 });
		assert_eq!(p.admit(), Ok(()));
		p.appended.0.store(110, Ordering::Release);
		p.appended.1.store(10, Ordering::Release);
		assert_eq!(p.admit(), Err(Refusal::Backlog { pending: 20, max: 20 }));
		assert!(p.refusing());
		p.confirmed.0.store(102, Ordering::Release);
		assert!(p.admit().is_err(), "18 is not below the low-water mark of 18");
		p.confirmed.0.store(103, Ordering::Release);
		assert_eq!(p.admit(), Ok(()));
		assert!(!p.refusing());
	}

	#[test]
	fn a_file_system_below_its_reserve_refuses() {
		let p = pressure(Limits { max_backlog: 20, min_free_bytes: u64::MAX / 4 });
		assert!(matches!(p.admit(), Err(Refusal::Space { .. })));
		assert!(p.refusing());
	}
}
