//! Drains the [`Journal`] into the chain: registration reports as
//! `identity.record_registrations` batches, audit records as `audit.submit`
//! batches with this bridge's sequence numbers.
//!
//! Each batch is signed by the bridge's account and waited on until it is
//! finalized and successful; only then does it leave the journal. Before
//! each audit batch the chain's `AuditApi::next_sequence` (at the finalized
//! head) says where to start: records below it are dropped as recorded, so
//! a restart, a lost transaction or a crash between submission and
//! confirmation neither loses nor duplicates a record.

use super::{ims, ChainError, Client};
use crate::journal::{Journal, StoredRecord};
use crate::metrics::Metrics;
use codec::{Decode, Encode};
use ims_primitives::audit::FrontRecord;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subxt::utils::{AccountId32, Static};
use subxt_signer::sr25519::Keypair;
use tokio::sync::watch;

/// Registration reports per `record_registrations` (the runtime's
/// `MaxBatchSize` for the identity pallet).
pub const REGISTRATION_BATCH: usize = 64;
/// Audit records per `submit` (the audit pallet's `MaxBatchSize`).
pub const AUDIT_BATCH: usize = 1024;
/// How often an idle journal is looked at.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// The oldest run of records of one realm, at most [`AUDIT_BATCH`].
fn one_realm(records: Vec<StoredRecord>) -> Vec<StoredRecord> {
	let Some(realm) = records.first().map(|r| r.realm) else { return records };
	let mut expected = records.first().map(|r| r.sequence).unwrap_or(0);
	records
		.into_iter()
		.take_while(|r| {
			let ok = r.realm == realm && r.sequence == expected;
			expected = expected.saturating_add(1);
			ok
		})
		.take(AUDIT_BATCH)
		.collect()
}

async fn submit_registrations(
	client: &Client,
	journal: &Journal,
	signer: &Keypair,
) -> Result<usize, ChainError> {
	let reports = journal.pending_registrations(REGISTRATION_BATCH).map_err(ChainError::call)?;
	let Some(last) = reports.last().map(|(n, _)| *n) else { return Ok(0) };
	let count = reports.len();
	let updates = reports.into_iter().map(|(_, report)| Static(report)).collect();
	let call = ims::transactions().identity().record_registrations(
		ims::runtime_types::bounded_collections::bounded_vec::BoundedVec(updates),
	);
	super::submit_finalized(client, signer, &call).await?;
	journal.confirm_registrations(last.saturating_add(1)).await.map_err(ChainError::call)?;
	Ok(count)
}

async fn submit_audit(
	client: &Client,
	journal: &Journal,
	signer: &Keypair,
	metrics: &Metrics,
) -> Result<usize, ChainError> {
	let account: AccountId32 = signer.public_key().into();
	let at = client.at_current_block().await.map_err(ChainError::call)?;
	let next = ims::runtime_apis().audit_api().next_sequence(account);
	let next = at.runtime_apis().call(next).await.map_err(ChainError::call)?;
	journal.confirm_audit(next).await.map_err(ChainError::call)?;
	let batch = one_realm(journal.pending_audit(AUDIT_BATCH).map_err(ChainError::call)?);
	let (Some(first), Some(realm)) =
		(batch.first().map(|r| r.sequence), batch.first().map(|r| r.realm))
	else {
		return Ok(0);
	};
	let count = batch.len();
	// The journal keeps accounts as 32 bytes; the call takes subxt's
	// AccountId32, which has the same encoding.
	let records = batch
		.iter()
		.map(|r| {
			FrontRecord::<AccountId32>::decode(&mut r.record.encode().as_slice())
				.map(Static)
				.map_err(ChainError::call)
		})
		.collect::<Result<Vec<_>, _>>()?;
	let call = ims::transactions().audit().submit(
		realm,
		first,
		ims::runtime_types::bounded_collections::bounded_vec::BoundedVec(records),
	);
	let started = Instant::now();
	super::submit_finalized(client, signer, &call).await?;
	metrics.batches.inc();
	metrics.batch_latency.observe(started.elapsed().as_secs_f64());
	journal.confirm_audit(first.saturating_add(count as u64)).await.map_err(ChainError::call)?;
	Ok(count)
}

/// Submits the journal's contents until `shutdown` turns true. Failures are
/// logged and retried with backoff; nothing leaves the journal unless it is
/// finalized.
pub async fn submit(
	client: Client,
	journal: Journal,
	signer: Keypair,
	metrics: Arc<Metrics>,
	mut shutdown: watch::Receiver<bool>,
) {
	let mut backoff = Duration::from_millis(200);
	loop {
		let round = async {
			let registrations = submit_registrations(&client, &journal, &signer).await?;
			let records = submit_audit(&client, &journal, &signer, &metrics).await?;
			Ok::<_, ChainError>((registrations, records))
		};
		let outcome = tokio::select! {
			outcome = round => outcome,
			_ = shutdown.changed() => return,
		};
		let pause = match outcome {
			Ok((0, 0)) => {
				backoff = Duration::from_millis(200);
				IDLE_POLL
			},
			Ok((registrations, records)) => {
				tracing::debug!(registrations, records, "journal batches finalized");
				backoff = Duration::from_millis(200);
				Duration::ZERO
			},
			Err(e) => {
				tracing::warn!(error = %e, retry_in = ?backoff, "submitting to the chain failed");
				let pause = backoff;
				backoff = (backoff * 2).min(Duration::from_secs(30));
				pause
			},
		};
		if let Ok((audit, registrations)) = journal.depth() {
			metrics.audit_queue.set(audit as i64);
			metrics.registration_queue.set(registrations as i64);
		}
		tokio::select! {
			_ = tokio::time::sleep(pause) => {},
			_ = shutdown.changed() => return,
		}
	}
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

	#[test]
	fn a_batch_is_one_realm_and_contiguous() {
		let records = vec![stored(5, 1), stored(6, 1), stored(7, 2), stored(8, 1)];
		let batch: Vec<u64> = one_realm(records).iter().map(|r| r.sequence).collect();
		assert_eq!(batch, vec![5, 6]);
		let gap = vec![stored(5, 1), stored(7, 1)];
		assert_eq!(one_realm(gap).len(), 1);
		assert!(one_realm(Vec::new()).is_empty());
		let many: Vec<StoredRecord> = (0..3000).map(|s| stored(s, 1)).collect();
		assert_eq!(one_realm(many).len(), AUDIT_BATCH);
	}
}
