//! Index snapshots against the chain (design note: `docs/index.md`,
//! "Snapshots"): whether the one on disk can be resumed from, and the task
//! that writes a new one every so many finalized blocks and at shutdown.

use super::Client;
use crate::index::snapshot::{self, Mark, SnapshotError, Written};
use crate::index::{Index, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Why the snapshot on disk is not resumed from: the whole model is read
/// instead.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
	/// Written for another chain.
	#[error("it is of another chain (genesis {0})")]
	OtherChain(String),
	/// Its block is no longer (or not yet) on the finalized chain.
	#[error("its block #{0} is not on the finalized chain")]
	NotFinalized(u32),
	/// Too many blocks to replay since.
	#[error("it is {0} blocks behind the finalized head (at most {max} are replayed)", max = super::follower::MAX_REPLAY)]
	TooOld(u64),
	/// The runtime that built its views was upgraded since.
	#[error("the runtime changed since (spec version {then}, now {now})")]
	RuntimeChanged {
		/// When it was written.
		then: u32,
		/// At the finalized head.
		now: u32,
	},
	/// The node no longer has the state of the blocks to replay.
	#[error("the node has pruned the state of block #{0}")]
	Pruned(u64),
}

/// The snapshot at `path`, if it can be resumed from at `head`: then every
/// finalized block after its mark is replayed into it.
pub async fn resume(
	client: &Client,
	path: &Path,
	head: &super::follower::AtBlock,
) -> Option<(Mark, Store)> {
	let started = Instant::now();
	let owned = path.to_path_buf();
	let read = tokio::task::spawn_blocking(move || snapshot::read(&owned)).await;
	let (mark, store) = match read {
		Ok(Ok(found)) => found,
		Ok(Err(SnapshotError::Io { source, .. }))
			if source.kind() == std::io::ErrorKind::NotFound =>
		{
			tracing::info!(path = %path.display(), "no index snapshot yet");
			return None;
		},
		Ok(Err(e)) => {
			tracing::warn!(error = %e, "index snapshot not used; reading everything");
			return None;
		},
		Err(e) => {
			tracing::warn!(error = %e, "index snapshot not read; reading everything");
			return None;
		},
	};
	if let Err(why) = usable(client, &mark, head).await {
		tracing::warn!(path = %path.display(), reason = %why, "index snapshot not used; reading everything");
		return None;
	}
	let (impus, impis) = store.len();
	tracing::info!(
		block = mark.at.number,
		impus,
		impis,
		took = ?started.elapsed(),
		"index read from its snapshot; replaying the blocks since"
	);
	Some((mark, store))
}

async fn usable(
	client: &Client,
	mark: &Mark,
	head: &super::follower::AtBlock,
) -> Result<(), Unusable> {
	if mark.genesis != client.genesis_hash().0 {
		return Err(Unusable::OtherChain(hex::encode(mark.genesis)));
	}
	let number = u64::from(mark.at.number);
	let behind =
		head.block_number().checked_sub(number).ok_or(Unusable::NotFinalized(mark.at.number))?;
	if behind > super::follower::MAX_REPLAY {
		return Err(Unusable::TooOld(behind));
	}
	if head.spec_version() != mark.spec_version {
		return Err(Unusable::RuntimeChanged { then: mark.spec_version, now: head.spec_version() });
	}
	let canonical = client.at_block(number).await.map(|at| at.block_hash().0);
	if canonical.ok() != Some(mark.at.hash) {
		return Err(Unusable::NotFinalized(mark.at.number));
	}
	// The first block to replay is the oldest one whose state is needed.
	if behind > 0 {
		let first = client.at_block(number + 1).await.map_err(|_| Unusable::Pruned(number + 1))?;
		first.events().fetch().await.map_err(|_| Unusable::Pruned(number + 1))?;
	}
	Ok(())
}

/// Where and how often snapshots are written.
#[derive(Clone, Debug)]
pub struct SnapshotPolicy {
	/// The file.
	pub path: PathBuf,
	/// Finalized blocks between two snapshots.
	pub every_blocks: u32,
}

/// Between two looks at the index's block.
const POLL: Duration = Duration::from_secs(2);

/// Wall time a periodic snapshot waits per block of `every_blocks`: blocks
/// come every two seconds when the index follows the head, but a restart
/// replays up to 256 of them in seconds, and one snapshot (9 s of a core at
/// a million subscribers) is enough for the whole replay.
const SPACING_PER_BLOCK: Duration = Duration::from_secs(1);

/// Whether a periodic snapshot is due: the index has moved `every_blocks`
/// past the last one, and the last was written at least
/// [`SPACING_PER_BLOCK`] per block of that ago.
fn due(blocks: u32, since_last: Duration, every_blocks: u32) -> bool {
	blocks >= every_blocks && since_last >= SPACING_PER_BLOCK.saturating_mul(every_blocks)
}

/// Writes a snapshot whenever [`due`], and once more at shutdown. A failure
/// is logged and tried again when next due.
pub async fn keep(
	client: Client,
	index: Arc<Index>,
	policy: SnapshotPolicy,
	shutdown: CancellationToken,
) {
	// The block of the last snapshot written, and the block counted from.
	let mut written: Option<u32> = None;
	let mut since = index.at().map(|at| at.number);
	let mut last = Instant::now();
	loop {
		let stopping = tokio::select! {
			_ = tokio::time::sleep(POLL) => false,
			_ = shutdown.cancelled() => true,
		};
		if let Some(at) = index.at() {
			let base = *since.get_or_insert(at.number);
			let due = due(at.number.saturating_sub(base), last.elapsed(), policy.every_blocks);
			if due || (stopping && written != Some(at.number)) {
				since = Some(at.number);
				last = Instant::now();
				written = write(&client, &index, &policy.path).await.or(written);
			}
		}
		if stopping {
			return;
		}
	}
}

/// Writes one snapshot; the block it is of, if it was written.
async fn write(client: &Client, index: &Arc<Index>, path: &Path) -> Option<u32> {
	let started = Instant::now();
	let genesis = client.genesis_hash().0;
	let spec_version = match client.at_current_block().await {
		Ok(at) => at.spec_version(),
		Err(e) => {
			tracing::warn!(error = %e, "index snapshot not written: no runtime version");
			return None;
		},
	};
	let (index, owned) = (index.clone(), path.to_path_buf());
	let written =
		tokio::task::spawn_blocking(move || snapshot::write(&index, &owned, genesis, spec_version))
			.await;
	match written {
		Ok(Ok(Written { mark, identities: (impus, impis), bytes })) => {
			tracing::info!(
				block = mark.at.number,
				impus,
				impis,
				bytes,
				took = ?started.elapsed(),
				"index snapshot written"
			);
			Some(mark.at.number)
		},
		Ok(Err(e)) => {
			tracing::warn!(error = %e, "index snapshot not written");
			None
		},
		Err(e) => {
			tracing::warn!(error = %e, "index snapshot not written");
			None
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_snapshot_is_due_after_its_blocks_and_their_wall_time() {
		let secs = Duration::from_secs;
		// Following the head: 100 blocks in 200 s.
		assert!(due(100, secs(200), 100));
		assert!(!due(99, secs(200), 100));
		// Replaying 250 blocks in 30 s after a restart: not again so soon.
		assert!(!due(100, secs(15), 100));
		assert!(!due(250, secs(30), 100));
		assert!(due(250, secs(100), 100));
		// Small intervals (tests) stay quick.
		assert!(due(2, secs(2), 2));
	}
}
