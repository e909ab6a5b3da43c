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
use crate::journal::{Journal, RegistrationReport};
use futures::stream::{FuturesOrdered, StreamExt};
use std::time::Duration;
use subxt::utils::Static;
use subxt_signer::sr25519::Keypair;
use tokio_util::sync::CancellationToken;

/// Registration batches in one round, under consecutive nonces: 64 x 64
/// reports. A block of the development chain takes 49 of them (its weight
/// is charged as if every identity had a full implicit set, and refunded
/// after), so a round fills a block and part of the next.
pub const REGISTRATION_PIPELINE: usize = 64;
/// Rounds sent and not yet finalized: with rounds of two blocks, four
/// cover the eight blocks finality lagged behind a loaded development
/// chain on the project machine (`docs/submitter.md`).
pub const REGISTRATION_ROUNDS: usize = 4;
/// How often an idle journal is looked at.
const IDLE_POLL: Duration = Duration::from_millis(250);

type Numbered = (u64, RegistrationReport);

/// A round's batches and how each ended.
type Ended = (Vec<Vec<Numbered>>, Vec<Result<subxt::utils::H256, ChainError>>);

/// Sends a round of batches and follows each until finalized.
async fn round(client: &Client, signer: &Keypair, reports: Vec<Numbered>, size: usize) -> Ended {
	let batches: Vec<Vec<Numbered>> = reports.chunks(size.max(1)).map(<[_]>::to_vec).collect();
	let calls: Vec<_> = batches
		.iter()
		.map(|batch| {
			let updates = batch.iter().map(|(_, report)| Static(report.clone())).collect();
			ims::transactions().identity().record_registrations(
				ims::runtime_types::bounded_collections::bounded_vec::BoundedVec(updates),
			)
		})
		.collect();
	let outcomes = submit_all(client, signer, &calls, Until::Finalized).await;
	(batches, outcomes)
}

/// Drains the journal's registration reports until `shutdown`, counting
/// failed rounds in `failures`.
pub async fn drain(
	client: &Client,
	journal: &Journal,
	signer: &Keypair,
	size: usize,
	failures: prometheus::IntCounter,
	shutdown: CancellationToken,
) {
	let mut in_flight = FuturesOrdered::new();
	// The number after the last report sent; `None`: from the oldest the
	// journal holds.
	let mut next: Option<u64> = None;
	let mut backoff = Duration::from_millis(200);
	loop {
		if in_flight.len() < REGISTRATION_ROUNDS {
			let limit = size.saturating_mul(REGISTRATION_PIPELINE);
			match journal.pending_registrations_from(next.unwrap_or(0), limit) {
				Ok(reports) if !reports.is_empty() => {
					next = reports.last().map(|(n, _)| n.saturating_add(1));
					in_flight.push_back(round(client, signer, reports, size));
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
