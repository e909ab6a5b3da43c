//! The audit trail's JSON-RPC methods (`docs/audit-rpc.md`). Each runs on
//! the blocking pool (`blocking`): it reads the index and decodes batches,
//! which must not hold up the RPC server's async workers. A page decodes
//! at most [`MAX_BATCHES_PER_PAGE`] batches, so one call's cost is bounded
//! whatever the subject's records are spread over; the page then says
//! where to go on.

use super::{signed::SignedRead, AuditIndex, Batch, SubjectKey};
use codec::Encode;
use ims_primitives::{
	audit::{leaf_hash, merkle_proof, RecordProof},
	AccessApi, Action, AuditApi, Permission, RealmId, Requester,
};
use ims_runtime::{opaque::Block, AccountId, BlockNumber};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObjectOwned, ErrorObject},
	Extensions,
};
use sc_rpc::DenyUnsafe;
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{offchain::OffchainStorage, Bytes, H256};
use std::sync::Arc;

/// Most records one page lists.
pub const MAX_PAGE: u32 = 1000;
/// Most batches one page decodes (each up to the runtime's
/// `MaxBatchSize` records).
pub const MAX_BATCHES_PER_PAGE: usize = 64;

/// One record as `imsAudit_records` lists it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RecordView {
	/// The realm.
	pub realm: RealmId,
	/// The batch's index in the realm.
	pub batch: u64,
	/// The record's position in the batch.
	pub position: u32,
	/// The block that recorded it.
	pub block: BlockNumber,
	/// The front's sequence number, for a front's record.
	pub sequence: Option<u64>,
	/// The batch's source, SCALE (`ims_primitives::audit::Source`).
	pub source: Bytes,
	/// The record, SCALE (`ims_primitives::audit::Entry`).
	pub entry: Bytes,
	/// The record's leaf hash.
	pub leaf: H256,
}

/// A page of a subject's records.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RecordsPage {
	/// How many records the subject has in the realm, in this node's
	/// index.
	pub total: u64,
	/// The records listed, oldest first.
	pub records: Vec<RecordView>,
	/// The `start` of the next page, while the subject has records after
	/// this one: a page ends at its `limit`, or earlier once it has decoded
	/// its most batches.
	pub next: Option<u64>,
}

/// A record with what proves it part of the trail.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProofView {
	/// The record, as `imsAudit_records` shows it.
	pub record: RecordView,
	/// Records in the batch.
	pub count: u32,
	/// Sibling hashes from the leaf up.
	pub siblings: Vec<H256>,
	/// The batch's Merkle root.
	pub root: H256,
	/// The realm's chain head before the batch.
	pub previous_head: H256,
	/// The realm's chain head after it.
	pub head: H256,
	/// All of it, SCALE (`ims_primitives::audit::RecordProof`): decode it and
	/// call `verify` with the commitment of a finalized block.
	pub proof: Bytes,
}

/// The JSON-RPC methods of the audit trail.
#[rpc(server)]
pub trait ImsAuditApi {
	/// The records of `subject` (a subscriber's pseudonym, or the key
	/// `subject_key` gives another subject) in `realm`, from the `start`-th
	/// (default 0), at most `limit` (default and most: 1000), oldest first.
	/// Unsafe: for the node's operator; others sign their request
	/// (`imsAudit_signedRecords`).
	#[method(name = "imsAudit_records", blocking, with_extensions)]
	fn records(
		&self,
		realm: RealmId,
		subject: H256,
		start: Option<u64>,
		limit: Option<u32>,
	) -> RpcResult<RecordsPage>;

	/// The records `start..start + limit` of `request.subject` in
	/// `request.realm`, for an account that signed the request and holds
	/// `ReadAudit` in the realm.
	#[method(name = "imsAudit_signedRecords", blocking)]
	fn signed_records(&self, request: SignedRead) -> RpcResult<RecordsPage>;

	/// The record at `position` of batch `batch` of `realm`, with its Merkle
	/// proof, from the finalized trail.
	#[method(name = "imsAudit_proof", blocking)]
	fn proof(&self, realm: RealmId, batch: u64, position: u32) -> RpcResult<ProofView>;
}

/// JSON-RPC error codes of the audit methods.
pub mod error {
	/// A parameter is out of range.
	pub const INVALID_PARAMS: i32 = -32602;
	/// The finalized trail has no such batch or record.
	pub const NOT_FOUND: i32 = 9100;
	/// The batch is on chain but not in this node's offchain database.
	pub const NOT_INDEXED: i32 = 9101;
	/// The node could not read its state.
	pub const INTERNAL: i32 = 9102;
	/// A signed request's signature or block does not hold.
	pub const BAD_SIGNATURE: i32 = 9103;
	/// The signer may not read the realm's trail.
	pub const NOT_ALLOWED: i32 = 9104;
}

pub(super) fn rpc_error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObject::owned(code, message.into(), None::<()>)
}

/// Serves [`ImsAuditApiServer`] from the client and the index.
pub struct ImsAudit<C, S> {
	client: Arc<C>,
	index: AuditIndex<S>,
}

impl<C, S> ImsAudit<C, S> {
	/// The methods over `client` and `index`.
	pub fn new(client: Arc<C>, index: AuditIndex<S>) -> Self {
		Self { client, index }
	}
}

pub(super) fn view(batch: &Batch, position: u32) -> Option<RecordView> {
	let entry = batch.entries.get(usize::try_from(position).ok()?)?;
	Some(RecordView {
		realm: batch.realm,
		batch: batch.batch,
		position,
		block: batch.commitment.block,
		sequence: batch.source.sequence(position),
		source: batch.source.encode().into(),
		entry: entry.encode().into(),
		leaf: leaf_hash(batch.realm, batch.batch, position, &batch.source, entry),
	})
}

impl<S: OffchainStorage> AuditIndex<S> {
	/// The subject's records `start..start + limit`, decoding at most
	/// [`MAX_BATCHES_PER_PAGE`] batches.
	pub fn page(&self, subject: &SubjectKey, start: u64, limit: u32) -> RpcResult<RecordsPage> {
		if limit == 0 || limit > MAX_PAGE {
			let message = format!("limit must be between 1 and {MAX_PAGE}");
			return Err(rpc_error(error::INVALID_PARAMS, message));
		}
		let total = self.count(subject);
		let end = start.saturating_add(limit.into()).min(total);
		let mut records = Vec::new();
		// Consecutive records of a subject often share a batch: decode each
		// batch once.
		let (mut cached, mut decoded): (Option<Batch>, usize) = (None, 0);
		let mut n = start;
		while n < end {
			let locator = self.locator(subject, n).ok_or_else(|| {
				rpc_error(error::INTERNAL, format!("the index lacks record {n} of the subject"))
			})?;
			if cached.as_ref().map(|batch| batch.commitment.head) != Some(locator.head) {
				if decoded == MAX_BATCHES_PER_PAGE {
					break;
				}
				cached = Some(self.batch(&locator.head).ok_or_else(|| {
					rpc_error(error::NOT_INDEXED, "a listed batch left the offchain database")
				})?);
				decoded += 1;
			}
			if let Some(record) = cached.as_ref().and_then(|batch| view(batch, locator.position)) {
				records.push(record);
			}
			n += 1;
		}
		Ok(RecordsPage { total, records, next: (n < total).then_some(n) })
	}
}

impl<C, S> ImsAuditApiServer for ImsAudit<C, S>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: AuditApi<Block, AccountId, BlockNumber> + AccessApi<Block, AccountId>,
	S: OffchainStorage + 'static,
{
	fn records(
		&self,
		ext: &Extensions,
		realm: RealmId,
		subject: H256,
		start: Option<u64>,
		limit: Option<u32>,
	) -> RpcResult<RecordsPage> {
		// The index lists any pseudonym's trail at once: only for the
		// node's own operator (a missing extension counts as external).
		let deny = ext.get::<DenyUnsafe>().copied().unwrap_or(DenyUnsafe::Yes);
		deny.check_if_safe()?;
		let subject = SubjectKey::new(realm, &subject);
		self.index.page(&subject, start.unwrap_or(0), limit.unwrap_or(MAX_PAGE))
	}

	fn signed_records(&self, request: SignedRead) -> RpcResult<RecordsPage> {
		let info = self.client.info();
		request.check(info.genesis_hash, info.finalized_number)?;
		let requester = Requester::Account(request.account.clone());
		let action = Action::Exercise(Permission::ReadAudit);
		let decision = self
			.client
			.runtime_api()
			.decide(info.finalized_hash, requester, request.realm, None, action)
			.map_err(|e| rpc_error(error::INTERNAL, format!("asking the access policy: {e}")))?;
		decision.map_err(|denial| {
			let message =
				format!("the signer may not read realm {}'s trail: {denial:?}", request.realm);
			rpc_error(error::NOT_ALLOWED, message)
		})?;
		let subject = SubjectKey::new(request.realm, &request.subject);
		self.index.page(&subject, request.start, request.limit)
	}

	fn proof(&self, realm: RealmId, batch: u64, position: u32) -> RpcResult<ProofView> {
		let finalized = self.client.info().finalized_hash;
		let commitment = self
			.client
			.runtime_api()
			.batch(finalized, realm, batch)
			.map_err(|e| rpc_error(error::INTERNAL, format!("reading the commitment: {e}")))?
			.ok_or_else(|| {
				rpc_error(error::NOT_FOUND, format!("realm {realm} has no finalized batch {batch}"))
			})?;
		let stored = self.index.batch(&commitment.head).ok_or_else(|| {
			rpc_error(
				error::NOT_INDEXED,
				format!(
					"batch {batch} of realm {realm} is not in this node's offchain database \
					 (imported without offchain indexing)"
				),
			)
		})?;
		let not_found = || {
			rpc_error(
				error::NOT_FOUND,
				format!("batch {batch} of realm {realm} has {} records", commitment.count),
			)
		};
		let record = view(&stored, position).ok_or_else(not_found)?;
		let entry = stored
			.entries
			.get(usize::try_from(position).unwrap_or(usize::MAX))
			.cloned()
			.ok_or_else(not_found)?;
		let leaves = (0u32..)
			.zip(&stored.entries)
			.map(|(i, entry)| leaf_hash(realm, batch, i, &stored.source, entry))
			.collect();
		let siblings = merkle_proof(leaves, position).ok_or_else(not_found)?;
		let proof = RecordProof {
			realm,
			batch,
			position,
			source: stored.source.clone(),
			entry,
			siblings: siblings.clone(),
			previous_head: stored.previous_head,
			commitment,
		};
		Ok(ProofView {
			record,
			count: commitment.count,
			siblings,
			root: commitment.root,
			previous_head: stored.previous_head,
			head: commitment.head,
			proof: proof.encode().into(),
		})
	}
}
