//! `[index]`: where the index snapshot goes and how often it is written
//! (`docs/index.md`, "Snapshots").

use super::Checker;
use serde::Deserialize;
use std::path::PathBuf;

/// `[index]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexFile {
	/// The snapshot file a restart resumes from.
	#[serde(default = "default_snapshot")]
	pub snapshot: PathBuf,
	/// Finalized blocks between two snapshots (one is also written at
	/// shutdown); 0 writes none, and every start reads the whole model.
	#[serde(default = "default_snapshot_every")]
	pub snapshot_every_blocks: u32,
}

impl Default for IndexFile {
	fn default() -> Self {
		Self { snapshot: default_snapshot(), snapshot_every_blocks: default_snapshot_every() }
	}
}

fn default_snapshot() -> PathBuf {
	PathBuf::from("index.snapshot")
}

/// About 3 minutes of 2-second blocks: a snapshot is then at most that old
/// when a bridge crashes, well inside the 256 blocks a restart replays.
fn default_snapshot_every() -> u32 {
	100
}

/// The most blocks between two snapshots: a crash right before the next
/// one must leave time to restart within the blocks a restart replays.
pub const MAX_SNAPSHOT_EVERY: u32 = 200;

impl Checker<'_> {
	/// `[index]`: the snapshot policy, if snapshots are written.
	pub(super) fn snapshots(&mut self, index: &IndexFile) -> Option<crate::chain::SnapshotPolicy> {
		let every_blocks = index.snapshot_every_blocks;
		if every_blocks > MAX_SNAPSHOT_EVERY {
			self.fail(
				"index.snapshot_every_blocks",
				format!("{every_blocks} is more than {MAX_SNAPSHOT_EVERY}: a restart could not replay that far"),
			);
		}
		(every_blocks > 0)
			.then(|| crate::chain::SnapshotPolicy { path: self.at(&index.snapshot), every_blocks })
	}
}
