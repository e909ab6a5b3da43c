//! Every call for bad origin, each error with state unchanged, success with
//! storage and exact events; replays, oversize batches, the hash chain
//! across blocks, record proofs, the sink of the other pallets and the
//! invariants.

use crate::{mock::*, pallet::*};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{GetDispatchInfo, Pays},
	traits::Hooks,
	BoundedVec,
};
use frame_system::RawOrigin;
use ims_primitives::{
	audit::{
		chain_next, leaf_hash, merkle_proof, merkle_root, offchain_batch_key, Activity, Actor,
		BatchCommitment, Entry, HttpMethod, IndexedBatch, ProofError, RecordProof, Source, Trail,
	},
	AuditSink, Change, Denial, Role, Subject,
};
use sp_core::H256;
use sp_runtime::DispatchError;

fn submit(who: u64, realm: u32, first: u64, records: FrontBatchOf<Test>) -> DispatchResult {
	Audit::submit(RuntimeOrigin::signed(who), realm, first, records)
		.map(|_| ())
		.map_err(|e| e.error)
}

type DispatchResult = Result<(), DispatchError>;

/// A `Recorded` event's fields: `(realm, batch, source, root, head,
/// records)`.
type Recorded = (u32, u64, Source<u64>, H256, H256, Vec<Entry<u64>>);

/// The `Recorded` events so far.
fn recorded() -> Vec<Recorded> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Audit(Event::Recorded { realm, batch, source, root, head, records }) => {
				Some((realm, batch, source, root, head, records))
			},
			_ => None,
		})
		.collect()
}

fn leaves(realm: u32, batch: u64, source: &Source<u64>, entries: &[Entry<u64>]) -> Vec<H256> {
	entries
		.iter()
		.enumerate()
		.map(|(i, entry)| leaf_hash(realm, batch, i as u32, source, entry))
		.collect()
}

mod changes;
mod checks;
mod submit;
mod trail;
