//! How finalized transactions ended, read once per block.
//!
//! subxt's `wait_for_success` downloads the block's body and walks all of
//! its events for every transaction it is asked about. A round of
//! registration batches puts a few dozen transactions in one block, with
//! thousands of events between them: reading the block once for all of
//! them spares the node and the bridge all but one of those downloads
//! (`docs/submitter.md`, "Registration reports").

use super::{ChainError, Client};
use std::collections::HashMap;
use std::sync::Arc;
use subxt::events::Phase;
use subxt::utils::H256;

/// A transaction in a finalized block: the block's hash and its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Finalized {
	pub block: H256,
	pub transaction: H256,
}

/// How each of `transactions` ended, in order: its block if it succeeded,
/// else its dispatch error. Neighbours in the same block share one read
/// of it; a block that cannot be read fails each of its transactions with
/// [`ChainError::Unconfirmed`].
pub(super) async fn outcomes(
	client: &Client,
	transactions: Vec<Result<Finalized, ChainError>>,
) -> Vec<Result<H256, ChainError>> {
	let mut outcomes = Vec::with_capacity(transactions.len());
	for run in runs(transactions) {
		let (block, hashes) = match run {
			Run::Failed(e) => {
				outcomes.push(Err(e));
				continue;
			},
			Run::InBlock(block, hashes) => (block, hashes),
		};
		match failures_in(client, block, &hashes).await {
			Ok(failures) => outcomes.extend(failures.into_iter().map(|failure| match failure {
				None => Ok(block),
				Some(error) => Err(ChainError::subxt(
					subxt::error::TransactionEventsError::ExtrinsicFailed(error),
				)),
			})),
			Err(e) => {
				let e = Arc::new(e);
				outcomes.extend(
					hashes
						.iter()
						.map(|_| Err(ChainError::Unconfirmed { block, source: e.clone() })),
				);
			},
		}
	}
	outcomes
}

/// Consecutive transactions of one block, or one that did not reach a
/// finalized block.
#[derive(Debug)]
enum Run {
	InBlock(H256, Vec<H256>),
	Failed(ChainError),
}

/// Groups `transactions` into runs, in order, each block's neighbours
/// together: one run is one read of a block.
fn runs(transactions: Vec<Result<Finalized, ChainError>>) -> Vec<Run> {
	let mut runs: Vec<Run> = Vec::new();
	for transaction in transactions {
		match (transaction, runs.last_mut()) {
			(Ok(next), Some(Run::InBlock(block, hashes))) if *block == next.block => {
				hashes.push(next.transaction)
			},
			(Ok(next), _) => runs.push(Run::InBlock(next.block, vec![next.transaction])),
			(Err(e), _) => runs.push(Run::Failed(e)),
		}
	}
	runs
}

/// For each of `transactions` in `block`: its dispatch error, if it
/// failed. A transaction not in the block is an error of the whole read.
async fn failures_in(
	client: &Client,
	block: H256,
	transactions: &[H256],
) -> Result<Vec<Option<subxt::error::DispatchError>>, ChainError> {
	let at = client.at_block(block).await.map_err(ChainError::subxt)?;
	let body = at.extrinsics().fetch().await.map_err(ChainError::subxt)?;
	let mut index_of = HashMap::with_capacity(body.len());
	for extrinsic in body.iter() {
		let extrinsic = extrinsic.map_err(ChainError::subxt)?;
		index_of.insert(extrinsic.hash(), extrinsic.index() as u32);
	}
	let indices = transactions
		.iter()
		.map(|hash| {
			index_of.get(hash).copied().ok_or(ChainError::NotInBlock { block, transaction: *hash })
		})
		.collect::<Result<Vec<u32>, _>>()?;
	let mut failed = HashMap::new();
	let events = at.events().fetch().await.map_err(ChainError::subxt)?;
	for event in events.iter() {
		let event = event.map_err(ChainError::subxt)?;
		if event.pallet_name() != "System" || event.event_name() != "ExtrinsicFailed" {
			continue;
		}
		let Phase::ApplyExtrinsic(index) = event.phase() else { continue };
		if indices.contains(&index) {
			let error =
				subxt::error::DispatchError::decode_from(event.field_bytes(), at.metadata())
					.map_err(ChainError::subxt)?;
			failed.insert(index, error);
		}
	}
	Ok(indices.iter().map(|index| failed.remove(index)).collect())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn at(block: u8, transaction: u8) -> Result<Finalized, ChainError> {
		Ok(Finalized {
			block: H256::repeat_byte(block),
			transaction: H256::repeat_byte(transaction),
		})
	}

	/// Each run as (block, its transactions), a failure as (0, none).
	fn shape(runs: &[Run]) -> Vec<(u8, Vec<u8>)> {
		runs.iter()
			.map(|run| match run {
				Run::InBlock(block, hashes) => {
					(block.0[0], hashes.iter().map(|hash| hash.0[0]).collect())
				},
				Run::Failed(_) => (0, vec![]),
			})
			.collect()
	}

	#[test]
	fn neighbours_in_one_block_make_one_run_and_failures_stand_alone() {
		let transactions = vec![
			at(1, 10),
			at(1, 11),
			at(2, 12),
			Err(ChainError::StatusEnded),
			at(2, 13),
			at(2, 14),
			// A block met again after another is read again: the runs
			// keep the order of the outcomes.
			at(1, 15),
		];
		assert_eq!(
			shape(&runs(transactions)),
			vec![(1, vec![10, 11]), (2, vec![12]), (0, vec![]), (2, vec![13, 14]), (1, vec![15]),]
		);
		assert!(runs(Vec::new()).is_empty());
	}
}
