//! Batches into `identity.import_subscribers` calls: a round of a few calls
//! under consecutive nonces, several rounds awaiting finality side by side
//! (`chain::submit_all`), so that the chain builds one block while the
//! last is finalized.
//!
//! A call the chain refuses is split in two and each half sent again,
//! until the refused subscriber is alone: its line is refused with the
//! chain's reason and its vault entry erased. A call whose fate is
//! unknown (no block in time, the connection lost) is sent again; if it
//! did land after all, the second copy is refused for an existing
//! subscription and the subscriber, found on chain, counts as landed.
//! A subscriber whose first copy may still land is left pending for
//! `settle` to resolve once that copy has expired.

use super::plan::{Batch, Entry};
use super::{settle, ImportError, LineError, Options, Progress, Refusal};
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::{ims, submit_all, ChainError, Client, Until};
use crate::vault::Vault;
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::VecDeque;
use std::sync::Arc;
use subxt_signer::sr25519::Keypair;
use tokio::sync::mpsc;

/// Sends of a call whose refusal may be passing (the node's pool, a lost
/// connection) before it is split or left pending.
const ATTEMPTS: u32 = 3;
/// Refused subscribers erased from the vault together (one compaction).
const ERASE_BATCH: usize = 1024;
/// Sends of a call the pool turned away for a reason that is not its
/// content (an outdated nonce, a full pool) before it is left pending.
const RESENDS: u32 = 30;
/// The wait before such a call is sent again: a block, for the nonces
/// this process reads from the finalized state to catch up.
const RESEND_PAUSE: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the pool turned a call away for its size (substrate's
/// `InvalidTransaction::ExhaustsResources`, "Transaction would exhaust the
/// block limits"): only then can fewer subscribers a call help. Any other
/// rejection says nothing of the lines it carries. Until 2026-12-04 every
/// rejection split the call, so an import through a bridge whose
/// submitter took a nonce first went on one subscriber a call.
fn too_big(reason: &str) -> bool {
	reason.contains("exhaust the block limits")
}

/// What the chain side did.
#[derive(Default)]
pub struct Submitted {
	/// Subscribers in the chain's finalized state.
	pub added: u64,
	/// Lines the chain refused.
	pub refused: Vec<Refusal>,
	/// Subscribers left pending, with the reason of their last refusal:
	/// `settle` decides them.
	pub unresolved: Vec<([u8; 32], Refusal)>,
	/// From the first call sent to the last one ended.
	pub chain_time: std::time::Duration,
}

/// A call to send: subscribers of one realm.
struct Work {
	realm: u32,
	entries: Vec<Entry>,
	/// Sends so far that may have failed for a passing reason.
	attempts: u32,
	/// A send of these subscribers whose fate is unknown: it may land yet.
	uncertain: bool,
}

/// How a call ended.
enum Fate {
	Landed,
	/// Refused when applied: in a block, nothing of it kept.
	Refused(String),
	/// Refused by the node's pool (an outdated nonce, a full pool, a
	/// block limit): it will not land, and may pass if sent again.
	Rejected(String),
	/// Not sent: an earlier call of its round failed.
	NotSent,
	/// May land yet.
	Unknown(String),
}

fn fate(outcome: Result<subxt::utils::H256, ChainError>) -> Fate {
	use subxt::error::{Error, TransactionEventsError};
	match outcome {
		Ok(_) => Fate::Landed,
		Err(ChainError::Subxt(e)) => match *e {
			Error::TransactionEventsError(TransactionEventsError::ExtrinsicFailed(d)) => {
				Fate::Refused(d.to_string())
			},
			other => Fate::Unknown(other.to_string()),
		},
		Err(ChainError::Refused(message)) => Fate::Rejected(message),
		Err(ChainError::EarlierFailed(_)) => Fate::NotSent,
		Err(other) => Fate::Unknown(other.to_string()),
	}
}

/// Sends batches and follows them to the chain's finalized state.
pub struct Submitter<'a> {
	client: &'a Client,
	signer: &'a Keypair,
	vault: Arc<Vault>,
	options: Options,
	progress: Arc<dyn Progress>,
	out: Submitted,
	/// Refused subscribers not yet erased.
	erase: Vec<[u8; 32]>,
}

impl<'a> Submitter<'a> {
	/// A submitter signing with `signer`.
	pub fn new(
		client: &'a Client,
		signer: &'a Keypair,
		vault: Arc<Vault>,
		options: Options,
		progress: Arc<dyn Progress>,
	) -> Self {
		Submitter {
			client,
			signer,
			vault,
			options,
			progress,
			out: Submitted::default(),
			erase: Vec::new(),
		}
	}

	/// Sends every batch that comes out of `batches`, until it closes and
	/// every call has ended.
	pub async fn drain(
		mut self,
		mut batches: mpsc::Receiver<Batch>,
	) -> Result<Submitted, ImportError> {
		let mut queue: VecDeque<Work> = VecDeque::new();
		let mut in_flight = FuturesUnordered::new();
		let mut open = true;
		let per_round = self.options.calls_per_round.unwrap_or(1).max(1);
		let mut first_sent = None;
		loop {
			while open && queue.len() < per_round {
				match batches.try_recv() {
					Ok(batch) => queue.push_back(work(batch)),
					Err(mpsc::error::TryRecvError::Empty) => break,
					Err(mpsc::error::TryRecvError::Disconnected) => open = false,
				}
			}
			if in_flight.len() < self.options.rounds_in_flight.max(1) && !queue.is_empty() {
				let take = queue.len().min(per_round);
				let round: Vec<Work> = queue.drain(..take).collect();
				self.mark_resent(&round).await?;
				first_sent.get_or_insert_with(std::time::Instant::now);
				in_flight.push(send(self.client, self.signer, round));
				continue;
			}
			if in_flight.is_empty() {
				if !open && queue.is_empty() {
					break;
				}
				match batches.recv().await {
					Some(batch) => queue.push_back(work(batch)),
					None => open = false,
				}
				continue;
			}
			tokio::select! {
				Some(ended) = in_flight.next() => {
					for (work, outcome) in ended {
						self.ended(work, fate(outcome), &mut queue).await?;
					}
				},
				batch = batches.recv(), if open && queue.len() < per_round => match batch {
					Some(batch) => queue.push_back(work(batch)),
					None => open = false,
				},
			}
		}
		self.erase_refused(0)?;
		self.out.chain_time = first_sent.map(|t| t.elapsed()).unwrap_or_default();
		Ok(self.out)
	}

	/// Subscribers sent again get a new pending mark: their new call is
	/// built at a later block and lives longer.
	async fn mark_resent(&self, round: &[Work]) -> Result<(), ImportError> {
		let handles: Vec<[u8; 32]> = round
			.iter()
			.filter(|w| w.attempts > 0 || w.uncertain)
			.flat_map(|w| w.entries.iter().map(|e| e.handle))
			.collect();
		if !handles.is_empty() {
			let at = self.client.at_current_block().await.map_err(ChainError::subxt)?;
			self.vault.mark_pending(&handles, at.block_number())?;
		}
		Ok(())
	}

	async fn ended(
		&mut self,
		mut work: Work,
		fate: Fate,
		queue: &mut VecDeque<Work>,
	) -> Result<(), ImportError> {
		match fate {
			Fate::Landed => {
				let handles: Vec<_> = work.entries.iter().map(|e| e.handle).collect();
				self.vault.settle(&handles)?;
				self.out.added += handles.len() as u64;
				self.progress.added(handles.len() as u64);
			},
			Fate::NotSent => queue.push_front(work),
			Fate::Unknown(reason) => {
				work.uncertain = true;
				work.attempts += 1;
				if work.attempts < ATTEMPTS {
					queue.push_front(work);
				} else {
					self.leave_pending(work, reason);
				}
			},
			Fate::Rejected(reason) if !too_big(&reason) => {
				work.attempts += 1;
				if work.attempts < RESENDS {
					tracing::debug!(%reason, "import call turned away by the pool; sent again");
					tokio::time::sleep(RESEND_PAUSE).await;
					queue.push_front(work);
				} else {
					self.leave_pending(work, reason);
				}
			},
			Fate::Rejected(reason) if work.attempts + 1 < ATTEMPTS => {
				tracing::debug!(%reason, "import call rejected by the pool; sent again");
				work.attempts += 1;
				queue.push_front(work);
			},
			Fate::Refused(reason) | Fate::Rejected(reason) => {
				if work.entries.len() > 1 {
					let (first, second) = halves(work);
					queue.push_front(second);
					queue.push_front(first);
				} else {
					self.refuse(work, reason).await?;
				}
			},
		}
		Ok(())
	}

	/// A subscriber the chain refused alone: landed after all if the chain
	/// holds it (an earlier copy of the call), else refused and erased
	/// (or left pending while an earlier copy may still land).
	async fn refuse(&mut self, work: Work, reason: String) -> Result<(), ImportError> {
		let handles: Vec<_> = work.entries.iter().map(|e| e.handle).collect();
		let (landed, _) = settle::on_chain(self.client, &handles).await?;
		if !landed.is_empty() {
			self.vault.settle(&landed)?;
			self.out.added += landed.len() as u64;
			self.progress.added(landed.len() as u64);
			return Ok(());
		}
		if work.uncertain {
			self.leave_pending(work, reason);
			return Ok(());
		}
		for entry in work.entries {
			let refusal = Refusal { record: entry.line, reason: LineError::Chain(reason.clone()) };
			self.progress.refused(&refusal);
			self.out.refused.push(refusal);
			self.erase.push(entry.handle);
		}
		self.erase_refused(ERASE_BATCH)
	}

	fn leave_pending(&mut self, work: Work, reason: String) {
		for entry in work.entries {
			let reason = LineError::Chain(reason.clone());
			self.out.unresolved.push((entry.handle, Refusal { record: entry.line, reason }));
		}
	}

	/// Erases the refused subscribers once `at_least` of them wait.
	fn erase_refused(&mut self, at_least: usize) -> Result<(), ImportError> {
		if !self.erase.is_empty() && self.erase.len() >= at_least {
			self.vault.erase_all(&self.erase)?;
			self.erase.clear();
		}
		Ok(())
	}
}

fn work(batch: Batch) -> Work {
	Work { realm: batch.realm, entries: batch.entries, attempts: 0, uncertain: false }
}

fn halves(mut work: Work) -> (Work, Work) {
	let second = work.entries.split_off(work.entries.len() / 2);
	let other = Work { realm: work.realm, entries: second, attempts: 0, uncertain: work.uncertain };
	work.attempts = 0;
	(work, other)
}

/// Sends a round of calls under consecutive nonces and follows each until
/// finalized.
async fn send(
	client: &Client,
	signer: &Keypair,
	round: Vec<Work>,
) -> Vec<(Work, Result<subxt::utils::H256, ChainError>)> {
	let calls: Vec<_> = round
		.iter()
		.map(|w| {
			let entries = w.entries.iter().map(|e| e.call.clone()).collect();
			ims::transactions().identity().import_subscribers(w.realm, BoundedVec(entries))
		})
		.collect();
	let outcomes = submit_all(client, signer, &calls, Until::Finalized).await;
	round.into_iter().zip(outcomes).collect()
}

#[cfg(test)]
mod tests {
	use super::too_big;

	/// The node's messages, as substrate's `InvalidTransaction` displays
	/// them inside the pool's error.
	#[test]
	fn only_a_call_too_big_for_a_block_is_split() {
		assert!(too_big("Invalid Transaction: Transaction would exhaust the block limits"));
		for passing in [
			"Invalid Transaction: Transaction is outdated",
			"Invalid Transaction: Transaction will be valid in the future",
			"Priority is too low: (100 vs 100)",
			"Transaction Already Imported",
			"Immediately Dropped: The transaction couldn't enter the pool because of the limit",
		] {
			assert!(!too_big(passing), "{passing}");
		}
	}
}
