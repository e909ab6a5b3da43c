//! Drains the [`Journal`] into the chain: registration reports as
//! `identity.record_registrations` batches, audit records as `audit.submit`
//! batches with this bridge's sequence numbers, the two side by side.
//!
//! Batch sizes are the chain's own (the identity pallet's
//! `MaxRegistrationBatch`, the audit pallet's `MaxBatchSize`, read from the
//! metadata at start: [`batch_sizes`]). Registration reports go in
//! overlapping rounds of batches (`registrations.rs`); a report leaves the
//! journal once its batch and every batch before it are finalized and
//! successful, and the newest report of an identity always lands last.
//! Audit batches go
//! up to [`AUDIT_PIPELINE`] at a time under consecutive nonces, so they can
//! share a block, and a round ends once its batches are in a best block:
//! the next round starts after them while they await finality (after a
//! failure, from what the finalized head has recorded). Records leave the
//! journal only once the finalized head's `next_sequence` counts them, so
//! a restart, a lost or retracted transaction or a crash between
//! submission and confirmation neither loses nor duplicates a record (the
//! pallet skips replays and refuses gaps).

use super::{front_records, ims, ChainError, Client};
use crate::index::Index;
use crate::journal::{Journal, StoredRecord};
use crate::metrics::Metrics;
use codec::{Decode, Encode};
use ims_primitives::audit::FrontRecord;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subxt::utils::{AccountId32, Static};
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

/// How long an audit batch that is in a block may go unrecorded before it
/// is taken for lost when the node cannot show that block (otherwise it is
/// taken for lost, and sent again, as soon as the finalized head has
/// passed the block without recording it).
pub const IN_FLIGHT_TIMEOUT: Duration = Duration::from_secs(60);
/// How often an idle journal is looked at.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// How the submitter waits for the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmitOptions {
	/// How long an audit batch that is in a block may go unrecorded before
	/// it and every batch after it are sent again, when the node cannot
	/// show the block (a batch whose block the finalized head has passed
	/// unrecorded goes again at once): [`IN_FLIGHT_TIMEOUT`].
	pub in_flight_timeout: Duration,
}

impl Default for SubmitOptions {
	fn default() -> Self {
		SubmitOptions { in_flight_timeout: IN_FLIGHT_TIMEOUT }
	}
}

/// Audit batches sent together, in consecutive transactions that may share
/// a block: 16 x 1024 records (about 1.1 MiB of a block's 3.75 MiB for
/// normal transactions, and 80 ms of its weight), so the journal drains
/// some 16,000 records per finality (a few seconds) instead of 1024.
pub const AUDIT_PIPELINE: usize = 16;

/// The most items the chain takes in one batch, from its metadata
/// constants: what the runtime's pallets are configured with, so that the
/// bridge never copies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSizes {
	/// Registration reports per `identity.record_registrations` (the
	/// identity pallet's `MaxRegistrationBatch`).
	pub registrations: usize,
	/// Audit records per `audit.submit` (the audit pallet's `MaxBatchSize`).
	pub audit: usize,
}

/// The chain's batch limits at its current block.
pub async fn batch_sizes(client: &Client) -> Result<BatchSizes, ChainError> {
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	let constants = at.constants();
	let identity = ims::constants().identity();
	// A runtime before spec version 104 has no `MaxRegistrationBatch`: its
	// registration batches are bounded by `MaxBatchSize`, so a bridge
	// upgraded before its chain still drains its journal.
	let registrations = match constants.entry(identity.max_registration_batch()) {
		Ok(size) => size,
		Err(_) => constants.entry(identity.max_batch_size()).map_err(ChainError::subxt)?,
	};
	let audit =
		constants.entry(ims::constants().audit().max_batch_size()).map_err(ChainError::subxt)?;
	Ok(BatchSizes { registrations: registrations as usize, audit: audit as usize })
}

/// Splits the oldest records into batches: runs of one realm with
/// consecutive sequence numbers, at most `size` each and
/// [`AUDIT_PIPELINE`] in all. A gap in the numbering ends the last batch.
fn batches(records: Vec<StoredRecord>, size: usize) -> Vec<Vec<StoredRecord>> {
	let mut out: Vec<Vec<StoredRecord>> = Vec::new();
	let mut expected = records.first().map(|r| r.sequence);
	for record in records {
		if expected != Some(record.sequence) {
			break;
		}
		expected = record.sequence.checked_add(1);
		let joins = out.last().is_some_and(|batch: &Vec<StoredRecord>| {
			batch.len() < size && batch.last().map(|r| r.realm) == Some(record.realm)
		});
		if joins {
			if let Some(batch) = out.last_mut() {
				batch.push(record);
			}
		} else if out.len() == AUDIT_PIPELINE {
			break;
		} else {
			out.push(vec![record]);
		}
	}
	out
}

/// An audit batch sent and in a best block, not yet recorded by the
/// finalized head.
struct Sent {
	/// The sequence number after its last record.
	end: u64,
	/// When it was sent.
	at: Instant,
	/// The best block it reached, and that block's number once looked up.
	block: subxt::utils::H256,
	number: Option<u64>,
	/// The time its last record was sent with.
	last_time: u64,
}

/// Audit batches in flight, oldest first.
type InFlight = std::collections::VecDeque<Sent>;

async fn next_sequence_at(
	at: &subxt::client::OnlineClientAtBlock<super::Config>,
	account: &AccountId32,
) -> Result<u64, ChainError> {
	let call = ims::runtime_apis().audit_api().next_sequence(*account);
	at.runtime_apis().call(call).await.map_err(ChainError::subxt)
}

/// The `audit.submit` call of each batch, its records prepared as the
/// chain takes them after a record of time `floor`
/// ([`front_records::prepare`]), with the time of each batch's last record.
fn submit_calls(
	batches: &[Vec<StoredRecord>],
	index: &Index,
	mut floor: u64,
) -> Result<Vec<(impl subxt::transactions::Payload, u64)>, ChainError> {
	let mut calls = Vec::with_capacity(batches.len());
	for batch in batches {
		let (Some(first), Some(realm)) =
			(batch.first().map(|r| r.sequence), batch.first().map(|r| r.realm))
		else {
			continue;
		};
		let (prepared, turned) = front_records::prepare(batch, index, &mut floor);
		if turned > 0 {
			tracing::info!(
				realm,
				first,
				turned,
				"records about identities the realm no longer holds go as unknown identities"
			);
		}
		// The journal keeps accounts as 32 bytes; the call takes subxt's
		// AccountId32, which has the same encoding.
		let records = prepared
			.iter()
			.map(|r| {
				FrontRecord::<AccountId32>::decode(&mut r.encode().as_slice())
					.map(Static)
					.map_err(ChainError::Codec)
			})
			.collect::<Result<Vec<_>, _>>()?;
		let call = ims::transactions().audit().submit(
			realm,
			first,
			ims::runtime_types::bounded_collections::bounded_vec::BoundedVec(records),
		);
		calls.push((call, floor));
	}
	Ok(calls)
}

/// Forgets the batches in flight when the oldest is taken for lost, so that
/// it and everything after it go again. A batch in a block is not checked
/// for success: its block is final, or was retracted, once the finalized
/// head (`finalized`) reaches its number, so unrecorded then it failed (a
/// block the node cannot show leaves only the timeout).
async fn drop_lost(
	client: &Client,
	metrics: &Metrics,
	in_flight: &mut InFlight,
	options: &SubmitOptions,
	finalized: u64,
	recorded: u64,
) {
	let Some(oldest) = in_flight.front_mut() else { return };
	if oldest.number.is_none() {
		oldest.number = client.at_block(oldest.block).await.ok().map(|at| at.block_number());
	}
	let passed = oldest.number.is_some_and(|number| number <= finalized);
	if passed || oldest.at.elapsed() > options.in_flight_timeout {
		tracing::warn!(
			from = recorded,
			"audit batches in blocks but not recorded by the finalized head; sending them again"
		);
		metrics.submission_failures.with_label_values(&["audit"]).inc();
		in_flight.clear();
	}
}

/// One round of audit batches: what the finalized head has recorded leaves
/// the journal; what follows the batches in flight (in best blocks,
/// awaiting finality) goes out next, each batch followed until it is in a
/// block. Returns how many records were sent.
async fn submit_audit(
	client: &Client,
	journal: &Journal,
	signer: &Keypair,
	metrics: &Metrics,
	in_flight: &mut InFlight,
	options: &SubmitOptions,
	(size, index): (usize, &Index),
) -> Result<usize, ChainError> {
	// An idle journal costs the node nothing: no runtime call to ask where
	// to resume until there is something to send.
	if journal.depth()?.0 == 0 {
		in_flight.clear();
		return Ok(0);
	}
	let account: AccountId32 = signer.public_key().into();
	let finalized = client.at_current_block().await.map_err(ChainError::subxt)?;
	let recorded = next_sequence_at(&finalized, &account).await?;
	while let Some(sent) = in_flight.front() {
		if sent.end > recorded {
			break;
		}
		metrics.batches.inc();
		metrics.batch_latency.observe(sent.at.elapsed().as_secs_f64());
		in_flight.pop_front();
	}
	journal.confirm_audit(recorded).await?;
	drop_lost(client, metrics, in_flight, options, finalized.block_number(), recorded).await;
	// The next round follows the batches in best blocks.
	let from = in_flight.back().map_or(recorded, |sent| sent.end.max(recorded));
	let pending = journal.pending_audit_from(from, size.saturating_mul(AUDIT_PIPELINE))?;
	let batches = batches(pending, size);
	if batches.is_empty() {
		return Ok(0);
	}
	// The records after the batches in flight go on from their last time;
	// after what the finalized head recorded, from the chain's.
	let floor = match in_flight.back() {
		Some(sent) => sent.last_time,
		None => front_records::last_time_at(&finalized, &account).await?,
	};
	let (calls, last_times): (Vec<_>, Vec<u64>) =
		submit_calls(&batches, index, floor)?.into_iter().unzip();
	let sent = Instant::now();
	let outcomes = super::submit_all(client, signer, &calls, super::Until::InBestBlock).await;
	// In flight up to the first failure; the pallet refuses a batch after a
	// gap, so the ones behind a failed one go again.
	let mut count = 0;
	for ((batch, outcome), last_time) in batches.iter().zip(outcomes).zip(last_times) {
		let block = match outcome {
			Ok(block) => block,
			Err(e) => {
				// Whatever was on its way may be lost with it: the next round
				// starts again from what the finalized head has recorded.
				in_flight.clear();
				return Err(e);
			},
		};
		let end = batch.last().map(|r| r.sequence.saturating_add(1)).unwrap_or(0);
		in_flight.push_back(Sent { end, at: sent, block, number: None, last_time });
		count += batch.len();
	}
	Ok(count)
}

/// Runs `round` until `shutdown` is cancelled: again at once after a round
/// that sent something, after [`IDLE_POLL`] after one that did not, with
/// backoff after a failure.
async fn drain<F, Fut>(
	what: &str,
	failures: prometheus::IntCounter,
	mut round: F,
	shutdown: CancellationToken,
) where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = Result<usize, ChainError>>,
{
	let mut backoff = Duration::from_millis(200);
	loop {
		let outcome = tokio::select! {
			outcome = round() => outcome,
			_ = shutdown.cancelled() => return,
		};
		let pause = match outcome {
			Ok(0) => {
				backoff = Duration::from_millis(200);
				IDLE_POLL
			},
			Ok(sent) => {
				tracing::debug!(what, sent, "journal batches sent");
				backoff = Duration::from_millis(200);
				Duration::ZERO
			},
			Err(e) => {
				failures.inc();
				tracing::warn!(what, error = %e, retry_in = ?backoff, "submitting to the chain failed");
				let pause = backoff;
				backoff = (backoff * 2).min(Duration::from_secs(30));
				pause
			},
		};
		tokio::select! {
			_ = tokio::time::sleep(pause) => {},
			_ = shutdown.cancelled() => return,
		}
	}
}

/// The chain's batch sizes, asked again with backoff until the node answers;
/// `None` at shutdown.
async fn read_batch_sizes(client: &Client, shutdown: &CancellationToken) -> Option<BatchSizes> {
	let mut backoff = Duration::from_millis(200);
	loop {
		match batch_sizes(client).await {
			Ok(sizes) => return Some(sizes),
			Err(e) => {
				tracing::warn!(error = %e, retry_in = ?backoff, "cannot read the chain's batch sizes")
			},
		}
		tokio::select! {
			_ = tokio::time::sleep(backoff) => {},
			_ = shutdown.cancelled() => return None,
		}
		backoff = (backoff * 2).min(Duration::from_secs(10));
	}
}

/// Submits the journal's contents until `shutdown` is cancelled: registration
/// reports and audit records side by side. Failures are logged and retried
/// with backoff; nothing leaves the journal unless it is finalized.
pub async fn submit(
	client: Client,
	journal: Journal,
	signer: Keypair,
	metrics: Arc<Metrics>,
	options: SubmitOptions,
	index: Arc<Index>,
	shutdown: CancellationToken,
) {
	let Some(sizes) = read_batch_sizes(&client, &shutdown).await else { return };
	tracing::info!(
		registrations = sizes.registrations,
		audit = sizes.audit,
		"batch sizes of the chain"
	);
	let registrations = super::registrations::drain(
		&client,
		&journal,
		&signer,
		sizes.registrations,
		&index,
		metrics.submission_failures.with_label_values(&["registrations"]),
		shutdown.clone(),
	);
	// Only the audit loop uses it; the lock just lets its rounds borrow it.
	let in_flight = tokio::sync::Mutex::new(InFlight::new());
	let audit = drain(
		"audit records",
		metrics.submission_failures.with_label_values(&["audit"]),
		|| async {
			let mut in_flight = in_flight.lock().await;
			submit_audit(
				&client,
				&journal,
				&signer,
				&metrics,
				&mut in_flight,
				&options,
				(sizes.audit, &index),
			)
			.await
		},
		shutdown.clone(),
	);
	let depths = async {
		loop {
			if let Ok((audit, registrations)) = journal.depth() {
				metrics.audit_queue.set(audit as i64);
				metrics.registration_queue.set(registrations as i64);
			}
			tokio::select! {
				_ = tokio::time::sleep(IDLE_POLL) => {},
				_ = shutdown.cancelled() => return,
			}
		}
	};
	tokio::join!(registrations, audit, depths);
}

#[cfg(test)]
mod tests {
	use super::*;
	use ims_primitives::audit::{Activity, Peer};
	use ims_primitives::{ImpiId, Subject, Token};

	fn stored(sequence: u64, realm: u32) -> StoredRecord {
		StoredRecord {
			sequence,
			realm,
			record: FrontRecord {
				subject: Subject::Impi(ImpiId::repeat_byte(1)),
				peer: Peer::Diameter(Token::truncate_from(b"x".to_vec())),
				activity: Activity::LocationQuery,
				result: 2001,
				at_ms: 0,
			},
		}
	}

	fn sequences(batches: &[Vec<StoredRecord>]) -> Vec<Vec<u64>> {
		batches.iter().map(|b| b.iter().map(|r| r.sequence).collect()).collect()
	}

	#[test]
	fn batches_are_one_realm_contiguous_and_bounded() {
		// A realm change starts a batch; a gap ends the run.
		let records = vec![
			stored(5, 1),
			stored(6, 1),
			stored(7, 2),
			stored(8, 1),
			stored(10, 1),
			stored(11, 1),
		];
		assert_eq!(sequences(&batches(records, 1024)), vec![vec![5, 6], vec![7], vec![8]]);
		assert!(batches(Vec::new(), 1024).is_empty());
		// Full batches, then the rest.
		let many: Vec<StoredRecord> = (0..3000).map(|s| stored(s, 1)).collect();
		let split = batches(many, 1024);
		assert_eq!(split.iter().map(Vec::len).collect::<Vec<_>>(), vec![1024, 1024, 952]);
		assert_eq!(split[1][0].sequence, 1024);
		// At most AUDIT_PIPELINE batches.
		let alternating: Vec<StoredRecord> = (0..100).map(|s| stored(s, (s % 2) as u32)).collect();
		let split = batches(alternating, 1024);
		assert_eq!(split.len(), AUDIT_PIPELINE);
		assert_eq!(sequences(&split).concat(), (0..AUDIT_PIPELINE as u64).collect::<Vec<_>>());
		let lots: Vec<StoredRecord> =
			(0..(1024 * AUDIT_PIPELINE + 5) as u64).map(|s| stored(s, 1)).collect();
		assert_eq!(batches(lots, 1024).concat().len(), 1024 * AUDIT_PIPELINE);
	}
}
