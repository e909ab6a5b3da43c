//! Registration reports from the journal to the chain, in rounds that
//! overlap: a round's batches go under consecutive nonces, and the next
//! round is sent once they are in a best block, while they await
//! finality (`docs/submitter.md`).
//!
//! The newest report of an identity is always the last one the chain
//! applies: batches carry the reports in journal order, their nonces make
//! the chain apply them in that order, and rounds end in the order they
//! were sent. Only a leading run of finalized, successful batches leaves
//! the journal. After a failed batch, the rounds already sent end first,
//! then everything after the last report that left the journal is sent
//! again, in order: a report may be applied twice, the second time in its
//! right place, never an older report after a newer one.

use super::{ims, submit_all, ChainError, Client, Until};
use crate::index::Index;
use crate::journal::{Journal, RegistrationReport};
use futures::stream::{FuturesOrdered, StreamExt};
use std::time::Duration;
use subxt::utils::Static;
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

/// Registration batches in one round, under consecutive nonces: 36 x 256
/// reports with today's runtime. A block of the development chain takes a
/// whole round of reports on identities in sets of two (36 such batches
/// are charged about 706 of its 750 ms); a round that does not fit is
/// split across two blocks, every other block nearly empty
/// (`docs/submitter.md`).
pub const REGISTRATION_PIPELINE: usize = 36;
/// Rounds sent and not yet finalized. Finality can lag more than four
/// blocks behind a development chain taking a round a block on the
/// project machine, and with four the next round then waits for it; eight
/// leave room for that (`docs/submitter.md`).
pub const REGISTRATION_ROUNDS: usize = 8;
/// How often an idle journal is looked at.
const IDLE_POLL: Duration = Duration::from_millis(250);

type Numbered = (u64, RegistrationReport);

/// A round's batches and how each ended.
type Ended = (Vec<Vec<Numbered>>, Vec<Result<subxt::utils::H256, ChainError>>);

/// The implicit-set members a batch writes beyond one per report, as the
/// index knows them: the call's `members` witness. An identity the index
/// does not hold makes it `u32::MAX`, which the chain reads as a full set
/// for every report.
fn witness(sets: Option<&Index>, batch: &[Numbered]) -> u32 {
	let Some(index) = sets else { return u32::MAX };
	let mut members = 0u32;
	for (_, report) in batch {
		match index.implicit_set_size(&report.impu) {
			Some(size) => members = members.saturating_add(size.saturating_sub(1)),
			None => return u32::MAX,
		}
	}
	members
}

/// Sends a round of batches and follows each until finalized; `sets`
/// gives each batch its witness (`None`: the worst case).
async fn round(
	client: &Client,
	signer: &Keypair,
	reports: Vec<Numbered>,
	size: usize,
	sets: Option<&Index>,
) -> Ended {
	let batches: Vec<Vec<Numbered>> = reports.chunks(size.max(1)).map(<[_]>::to_vec).collect();
	let calls: Vec<_> = batches
		.iter()
		.map(|batch| {
			let updates = batch.iter().map(|(_, report)| Static(report.clone())).collect();
			ims::transactions().identity().record_registrations(
				ims::runtime_types::bounded_collections::bounded_vec::BoundedVec(updates),
				witness(sets, batch),
			)
		})
		.collect();
	let outcomes = submit_all(client, signer, &calls, Until::Finalized).await;
	(batches, outcomes)
}

/// Drains the journal's registration reports until `shutdown`, counting
/// failed rounds in `failures`. Each batch declares the implicit-set
/// members it writes as `index` knows them; the round after a failure
/// declares the worst case, in case the index was behind a set that grew.
pub async fn drain(
	client: &Client,
	journal: &Journal,
	signer: &Keypair,
	size: usize,
	index: &Index,
	failures: prometheus::IntCounter,
	shutdown: CancellationToken,
) {
	let mut in_flight = FuturesOrdered::new();
	// The number after the last report sent; `None`: from the oldest the
	// journal holds.
	let mut next: Option<u64> = None;
	let mut backoff = Duration::from_millis(200);
	let mut cautious = false;
	loop {
		if in_flight.len() < REGISTRATION_ROUNDS {
			let limit = size.saturating_mul(REGISTRATION_PIPELINE);
			match journal.pending_registrations_from(next.unwrap_or(0), limit) {
				Ok(reports) if !reports.is_empty() => {
					next = reports.last().map(|(n, _)| n.saturating_add(1));
					let sets = (!cautious).then_some(index);
					cautious = false;
					in_flight.push_back(round(client, signer, reports, size, sets));
					continue;
				},
				Ok(_) => {},
				Err(e) => tracing::warn!(error = %e, "reading registration reports failed"),
			}
		}
		let ended = tokio::select! {
			ended = in_flight.next(), if !in_flight.is_empty() => ended,
			_ = tokio::time::sleep(IDLE_POLL), if in_flight.is_empty() => continue,
			_ = shutdown.cancelled() => return,
		};
		let Some((batches, outcomes)) = ended else { continue };
		let failed = match confirm(journal, &batches, outcomes).await {
			Ok(()) => {
				backoff = Duration::from_millis(200);
				continue;
			},
			Err(e) => e,
		};
		failures.inc();
		tracing::warn!(error = %failed, retry_in = ?backoff, "registration reports refused; the rounds sent end, then the reports go again");
		// The rounds after a failed batch end before anything is sent
		// again, and none of their reports leave the journal.
		tokio::select! {
			_ = in_flight.by_ref().for_each(|_| async {}) => {},
			_ = shutdown.cancelled() => return,
		}
		next = None;
		cautious = true;
		tokio::select! {
			_ = tokio::time::sleep(backoff) => {},
			_ = shutdown.cancelled() => return,
		}
		backoff = (backoff * 2).min(Duration::from_secs(30));
	}
}

/// Lets the leading finalized, successful batches of a round leave the
/// journal; the first failure is the error.
async fn confirm(
	journal: &Journal,
	batches: &[Vec<Numbered>],
	outcomes: Vec<Result<subxt::utils::H256, ChainError>>,
) -> Result<(), ChainError> {
	let landed = outcomes.iter().take_while(|outcome| outcome.is_ok()).count();
	let last = batches.iter().take(landed).flat_map(|batch| batch.last()).last();
	if let Some((number, _)) = last {
		journal.confirm_registrations(number.saturating_add(1)).await?;
	}
	match outcomes.into_iter().nth(landed) {
		Some(Err(e)) => Err(e),
		_ => Ok(()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::index::{tests::view, Update};
	use ims_primitives::{ImpuId, Name, RegistrationState};

	fn report(impu: u8) -> Numbered {
		let impu = ImpuId::repeat_byte(impu);
		let scscf = Some(Name::truncate_from(b"sip:scscf".to_vec()));
		(0, RegistrationReport { impu, state: RegistrationState::Registered, scscf })
	}

	#[test]
	fn a_batch_declares_the_members_the_index_knows_or_the_worst_case() {
		let index = Index::default();
		index.apply(Update {
			impus: vec![
				(ImpuId::repeat_byte(1), Some(view(1, &[1, 2, 3], 1))),
				(ImpuId::repeat_byte(2), Some(view(2, &[1, 2, 3], 1))),
				(ImpuId::repeat_byte(4), Some(view(4, &[4], 1))),
			],
			..Default::default()
		});
		// Two extra members for each report in the set of three, none for
		// an identity alone.
		assert_eq!(witness(Some(&index), &[report(1), report(4), report(2)]), 4);
		assert_eq!(witness(Some(&index), &[report(4)]), 0);
		// An identity the index does not hold, or no index: the worst case.
		assert_eq!(witness(Some(&index), &[report(1), report(9)]), u32::MAX);
		assert_eq!(witness(None, &[report(4)]), u32::MAX);
	}
}
