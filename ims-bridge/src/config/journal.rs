//! `[journal]`: where the journal lives, when its records are durable, and
//! its high-water marks (`docs/journal.md`).

use super::Checker;
use crate::journal::{Limits, Sync, DEFAULT_FLUSH_INTERVAL, MAX_FLUSH_INTERVAL};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[journal]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalFile {
	/// The journal file (its write-ahead log is beside it, `.wal`).
	pub path: PathBuf,
	/// When an answer's audit record is durable: `"with-answer"` (the
	/// default) or `"before-answer"`.
	#[serde(default)]
	pub sync: Sync,
	/// With `with-answer`, milliseconds between two flushes of the log
	/// while records come (1 to 1000; the most a power loss can lose).
	pub flush_interval_ms: Option<u64>,
	/// Entries waiting for the chain at which Cx requests get 3004.
	#[serde(default = "default_max_backlog")]
	pub max_backlog: u64,
	/// Free MiB on the journal's file system below which Cx requests get
	/// 3004.
	#[serde(default = "default_min_free_mib")]
	pub min_free_mib: u64,
}

fn default_max_backlog() -> u64 {
	Limits::default().max_backlog
}
fn default_min_free_mib() -> u64 {
	Limits::default().min_free_bytes >> 20
}

impl Checker<'_> {
	/// `[journal]`: the flush interval and the high-water marks.
	pub(super) fn journal(&mut self, journal: &JournalFile) -> (Duration, Limits) {
		let interval = self.flush_interval(journal);
		if journal.max_backlog == 0 {
			self.fail("journal.max_backlog", "must be at least 1".into());
		}
		let limits = Limits {
			max_backlog: journal.max_backlog,
			min_free_bytes: journal.min_free_mib.saturating_mul(1 << 20),
		};
		(interval, limits)
	}

	/// `[journal] flush_interval_ms`, which applies only with `with-answer`.
	fn flush_interval(&mut self, journal: &JournalFile) -> Duration {
		let max_interval = MAX_FLUSH_INTERVAL.as_millis() as u64;
		match (journal.flush_interval_ms, journal.sync) {
			(None, _) => DEFAULT_FLUSH_INTERVAL,
			(Some(_), Sync::BeforeAnswer) => {
				self.fail(
					"journal.flush_interval_ms",
					"applies only with sync = \"with-answer\" (with \"before-answer\" every \
					 answer waits for its flush)"
						.into(),
				);
				DEFAULT_FLUSH_INTERVAL
			},
			(Some(ms), _) if (1..=max_interval).contains(&ms) => Duration::from_millis(ms),
			(Some(ms), _) => {
				self.fail(
					"journal.flush_interval_ms",
					format!("{ms} is not between 1 and {max_interval} milliseconds"),
				);
				DEFAULT_FLUSH_INTERVAL
			},
		}
	}
}
