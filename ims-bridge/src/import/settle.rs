//! Pending marks resolved: a subscriber whose vault entry an import wrote
//! is kept if the chain's finalized state holds it, and erased from the
//! vault once no call carrying it can land any more.
//!
//! Every call is mortal: built at a finalized block, it is valid for 32
//! blocks after it (subxt's default era). A mark records the block its
//! call was last built at, so once the finalized head is
//! [`EXPIRY_BLOCKS`] past it, a subscriber the chain does not hold never
//! will be, and its vault entry can go.

use super::{ImportError, Progress};
use crate::chain::{ims, ChainError, Client};
use crate::vault::Vault;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::time::{Duration, Instant};
use subxt::utils::H256;

/// Blocks after a mark's block when its call has expired: twice the
/// calls' 32-block era, for the era's rounding and the finalized block
/// the call was built at being newer than the one the mark records.
pub const EXPIRY_BLOCKS: u64 = 2 * crate::chain::MORTALITY;
/// Storage reads in flight when checking marks.
const READS_IN_FLIGHT: usize = 32;
/// How often marks whose call may still land are looked at again.
const POLL: Duration = Duration::from_secs(4);
/// The longest wait for such calls to land or expire (64 blocks take
/// about two minutes; a chain that stops finalizing leaves the marks for
/// the next run).
const MOST_WAIT: Duration = Duration::from_secs(600);

/// What settling did.
#[derive(Default, Debug)]
pub struct Settled {
	/// Subscribers the chain holds: their marks removed.
	pub landed: Vec<[u8; 32]>,
	/// Subscribers it never will: erased from the vault.
	pub erased: Vec<[u8; 32]>,
	/// Marks left: their calls may still land.
	pub left: usize,
}

/// Splits `handles` into those whose subscription the finalized state
/// holds and the rest.
pub async fn on_chain(
	client: &Client,
	handles: &[[u8; 32]],
) -> Result<(Vec<[u8; 32]>, Vec<[u8; 32]>), ChainError> {
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	let at = &at;
	let found: Vec<([u8; 32], bool)> = stream::iter(handles.iter().copied())
		.map(|handle| async move {
			let entry = ims::storage().identity().subscriptions();
			let found = at.storage().try_fetch(entry, (H256(handle),)).await;
			found.map(|v| (handle, v.is_some())).map_err(ChainError::subxt)
		})
		.buffered(READS_IN_FLIGHT)
		.try_collect()
		.await?;
	let (landed, absent): (Vec<_>, Vec<_>) = found.into_iter().partition(|(_, on)| *on);
	Ok((landed.into_iter().map(|(h, _)| h).collect(), absent.into_iter().map(|(h, _)| h).collect()))
}

/// Resolves every pending mark in the vault, waiting (at most
/// [`MOST_WAIT`]) for calls that may still land.
pub async fn pending(
	client: &Client,
	vault: &Vault,
	progress: &dyn Progress,
) -> Result<Settled, ImportError> {
	let mut settled = Settled::default();
	let started = Instant::now();
	let mut waited = false;
	loop {
		let marks = vault.pending()?;
		if marks.is_empty() {
			return Ok(settled);
		}
		let head = client.at_current_block().await.map_err(ChainError::subxt)?.block_number();
		let handles: Vec<_> = marks.iter().map(|(h, _)| *h).collect();
		let (landed, absent) = on_chain(client, &handles).await?;
		vault.settle(&landed)?;
		settled.landed.extend(landed);
		let absent: std::collections::HashSet<_> = absent.into_iter().collect();
		let expired: Vec<_> = marks
			.iter()
			.filter(|(h, block)| absent.contains(h) && head > block.saturating_add(EXPIRY_BLOCKS))
			.map(|(h, _)| *h)
			.collect();
		vault.erase_all(&expired)?;
		settled.left = absent.len().saturating_sub(expired.len());
		settled.erased.extend(expired);
		if settled.left == 0 {
			return Ok(settled);
		}
		if started.elapsed() >= MOST_WAIT {
			progress.note(&format!(
				"{} subscribers in the vault may still reach the chain; run the import again later to settle them",
				settled.left
			));
			return Ok(settled);
		}
		if !waited {
			let until = marks.iter().map(|(_, b)| b.saturating_add(EXPIRY_BLOCKS)).max();
			let until = until.unwrap_or(head);
			progress.note(&format!(
				"{} subscribers of an unfinished call may still reach the chain: waiting until they do or block {until} is finalized",
				settled.left
			));
			waited = true;
		}
		tokio::time::sleep(POLL).await;
	}
}
