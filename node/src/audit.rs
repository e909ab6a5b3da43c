//! The audit trail's index and JSON-RPC methods.
//!
//! The runtime writes every sealed batch into the node's offchain database
//! (offchain indexing, always on in this node), keyed by the batch's chain
//! head. An indexer task follows finality: for each realm it walks the new
//! batches of the finalized trail, reads each batch from the offchain
//! database and lists its records under their subject (a subscriber's
//! pseudonym, see `ims_primitives::audit::subject_key`) in a ParityDB
//! database of its own, `ims-audit-index` next to the chain's database. The
//! RPC methods read that index:
//!
//! - `imsAudit_records(subject, start?, limit?)`: a subject's records,
//!   oldest first;
//! - `imsAudit_proof(realm, batch, position)`: a record with its Merkle
//!   proof, to check with `RecordProof::verify` against the commitment a
//!   finalized block holds (`AuditApi_batch`).
//!
//! Keying batches by their chain head makes the offchain writes of two forks
//! land on different keys; only batches of the finalized trail are indexed.

use std::{collections::BTreeMap, sync::Arc};

use codec::{Decode, Encode};
use futures::StreamExt;
use ims_primitives::{
	audit::{leaf_hash, merkle_proof, offchain_batch_key, subject_key, IndexedBatch, RecordProof},
	AuditApi, RealmId,
};
use ims_runtime::{opaque::Block, AccountId, BlockNumber};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObjectOwned, ErrorObject},
};
use sc_client_api::BlockchainEvents;
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
	offchain::{OffchainStorage, STORAGE_PREFIX},
	Bytes, H256,
};

/// A batch as the runtime indexed it.
pub type Batch = IndexedBatch<AccountId, BlockNumber>;

/// Column of the index database holding `subject ‖ n` -> the subject's
/// `n`-th record.
const LOCATORS: u8 = 0;
/// Column holding `subject` -> how many records it has, and
/// `CURSOR_PREFIX ‖ realm` -> the next batch of the realm to index.
const COUNTERS: u8 = 1;
/// Key prefix of a realm's cursor in [`COUNTERS`].
const CURSOR_PREFIX: &[u8] = b"cursor:";
/// Batches indexed per database commit while catching up.
const BATCHES_PER_COMMIT: usize = 64;
/// Most records one `imsAudit_records` call returns.
pub const MAX_PAGE: u32 = 1000;

/// Where a record is: its batch (by realm, index and chain head) and its
/// position in it.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
struct Locator {
	realm: RealmId,
	batch: u64,
	position: u32,
	head: H256,
}

/// The index: the batches the runtime wrote into the node's offchain
/// database, and a ParityDB database of its own listing each subject's
/// records. The listing is written in one commit per batch group (the
/// offchain database's `set` commits every key on its own, which cannot
/// keep up with tens of thousands of records a block).
#[derive(Clone)]
pub struct AuditIndex<S> {
	offchain: S,
	db: Arc<parity_db::Db>,
}

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
	let mut key = prefix.to_vec();
	for part in parts {
		key.extend_from_slice(part);
	}
	key
}

/// Changes to the index, applied in one commit.
#[derive(Default)]
struct Pending {
	/// New locators.
	locators: Vec<(Vec<u8>, Vec<u8>)>,
	/// Subjects' new counts.
	counts: BTreeMap<H256, u64>,
	/// Realms' new cursors.
	cursors: BTreeMap<RealmId, u64>,
	/// Batches listed.
	batches: usize,
}

impl<S: OffchainStorage> AuditIndex<S> {
	/// Opens (or creates) the index database at `path`, over the node's
	/// offchain database `offchain`.
	pub fn open(path: &std::path::Path, offchain: S) -> Result<Self, String> {
		let options = parity_db::Options::with_columns(path, 2);
		let db = parity_db::Db::open_or_create(&options)
			.map_err(|e| format!("opening the audit index at {}: {e}", path.display()))?;
		Ok(Self { offchain, db: Arc::new(db) })
	}

	fn get<T: Decode>(&self, column: u8, key: &[u8]) -> Option<T> {
		match self.db.get(column, key) {
			Ok(value) => value.and_then(|raw| T::decode(&mut &raw[..]).ok()),
			Err(error) => {
				log::warn!(target: "ims-audit", "reading the audit index: {error}");
				None
			},
		}
	}

	/// The batch whose chain head is `head`, if the runtime indexed it here.
	pub fn batch(&self, head: &H256) -> Option<Batch> {
		self.offchain
			.get(STORAGE_PREFIX, &offchain_batch_key(head))
			.and_then(|raw| Batch::decode(&mut &raw[..]).ok())
	}

	/// How many records `subject` has in the index.
	pub fn count(&self, subject: &H256) -> u64 {
		self.get(COUNTERS, subject.as_bytes()).unwrap_or(0)
	}

	fn locator(&self, subject: &H256, n: u64) -> Option<Locator> {
		self.get(LOCATORS, &key(subject.as_bytes(), &[&n.to_le_bytes()]))
	}

	/// The next batch of `realm` to index.
	fn cursor(&self, realm: RealmId) -> u64 {
		self.get(COUNTERS, &key(CURSOR_PREFIX, &[&realm.to_le_bytes()])).unwrap_or(0)
	}

	/// Lists the records of `batch` under their subjects, in `pending`.
	fn add_batch(&self, batch: &Batch, pending: &mut Pending) {
		for (position, entry) in (0u32..).zip(&batch.entries) {
			let subject = subject_key(batch.realm, &entry.subject);
			let count = match pending.counts.get(&subject) {
				Some(count) => *count,
				None => self.count(&subject),
			};
			let locator = Locator {
				realm: batch.realm,
				batch: batch.batch,
				position,
				head: batch.commitment.head,
			};
			pending
				.locators
				.push((key(subject.as_bytes(), &[&count.to_le_bytes()]), locator.encode()));
			pending.counts.insert(subject, count.saturating_add(1));
		}
		pending.batches += 1;
	}

	/// Writes `pending` in one commit: the locators, then the counts and
	/// cursors that make them visible.
	fn commit(&self, pending: &mut Pending) -> Result<(), String> {
		let Pending { locators, counts, cursors, .. } = std::mem::take(pending);
		let locators = locators.into_iter().map(|(key, value)| (LOCATORS, key, Some(value)));
		let counts = counts
			.into_iter()
			.map(|(subject, count)| (COUNTERS, subject.as_bytes().to_vec(), Some(count.encode())));
		let cursors = cursors.into_iter().map(|(realm, next)| {
			(COUNTERS, key(CURSOR_PREFIX, &[&realm.to_le_bytes()]), Some(next.encode()))
		});
		self.db
			.commit(locators.chain(counts).chain(cursors))
			.map_err(|e| format!("writing the audit index: {e}"))
	}

	/// Indexes every batch of the trail finalized at `at` not indexed yet;
	/// returns how many batches it indexed and how many it could not find in
	/// the offchain database.
	pub fn catch_up<C>(&self, client: &C, at: H256) -> Result<(u64, u64), String>
	where
		C: ProvideRuntimeApi<Block>,
		C::Api: AuditApi<Block, AccountId, BlockNumber>,
	{
		let api = client.runtime_api();
		let trails = api.trails(at).map_err(|e| format!("reading the trails: {e}"))?;
		let (mut indexed, mut missing) = (0, 0);
		let mut pending = Pending::default();
		for (realm, trail) in trails {
			for index in self.cursor(realm)..trail.batches {
				let commitment = api
					.batch(at, realm, index)
					.map_err(|e| format!("reading batch {index} of realm {realm}: {e}"))?
					.ok_or_else(|| format!("batch {index} of realm {realm} is not on chain"))?;
				match self.batch(&commitment.head) {
					Some(batch) => {
						self.add_batch(&batch, &mut pending);
						indexed += 1;
					},
					None => missing += 1,
				}
				pending.cursors.insert(realm, index.saturating_add(1));
				if pending.batches >= BATCHES_PER_COMMIT {
					self.commit(&mut pending)?;
				}
			}
			// The realm's cursor and counts go out before the next realm's
			// reads.
			self.commit(&mut pending)?;
		}
		Ok((indexed, missing))
	}
}

/// Follows finality and keeps the index current. Runs until the client's
/// notification stream ends (node shutdown).
pub async fn run_indexer<C, S>(client: Arc<C>, index: AuditIndex<S>)
where
	C: ProvideRuntimeApi<Block> + BlockchainEvents<Block> + HeaderBackend<Block>,
	C::Api: AuditApi<Block, AccountId, BlockNumber>,
	S: OffchainStorage,
{
	let mut finality = client.finality_notification_stream();
	let mut at = Some(client.info().finalized_hash);
	while let Some(hash) = at {
		match index.catch_up(&*client, hash) {
			Ok((_, 0)) => {},
			Ok((_, missing)) => log::warn!(
				target: "ims-audit",
				"{missing} audit batch(es) are not in this node's offchain database (imported \
				 without offchain indexing); their records cannot be listed here"
			),
			Err(error) => log::warn!(target: "ims-audit", "audit index: {error}"),
		}
		at = finality.next().await.map(|notification| notification.hash);
	}
}

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
	/// How many records the subject has in this node's index.
	pub total: u64,
	/// Records `start..start + records.len()`, oldest first.
	pub records: Vec<RecordView>,
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
	/// `subject_key` gives another subject), from the `start`-th (default 0),
	/// at most `limit` (default and most: 1000), oldest first.
	#[method(name = "imsAudit_records")]
	fn records(
		&self,
		subject: H256,
		start: Option<u64>,
		limit: Option<u32>,
	) -> RpcResult<RecordsPage>;

	/// The record at `position` of batch `batch` of `realm`, with its Merkle
	/// proof, from the finalized trail.
	#[method(name = "imsAudit_proof")]
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
}

fn rpc_error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
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

fn view(batch: &Batch, position: u32) -> Option<RecordView> {
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

impl<C, S> ImsAuditApiServer for ImsAudit<C, S>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: AuditApi<Block, AccountId, BlockNumber>,
	S: OffchainStorage + 'static,
{
	fn records(
		&self,
		subject: H256,
		start: Option<u64>,
		limit: Option<u32>,
	) -> RpcResult<RecordsPage> {
		let limit = limit.unwrap_or(MAX_PAGE);
		if limit == 0 || limit > MAX_PAGE {
			return Err(rpc_error(
				error::INVALID_PARAMS,
				format!("limit must be between 1 and {MAX_PAGE}"),
			));
		}
		let total = self.index.count(&subject);
		let start = start.unwrap_or(0);
		let end = start.saturating_add(limit.into()).min(total);
		let mut records = Vec::new();
		// Consecutive records of a subject often share a batch: decode each
		// batch once.
		let mut cached: Option<Batch> = None;
		for n in start..end {
			let locator = self.index.locator(&subject, n).ok_or_else(|| {
				rpc_error(error::INTERNAL, format!("the index lacks record {n} of the subject"))
			})?;
			if cached.as_ref().map(|batch| batch.commitment.head) != Some(locator.head) {
				cached = Some(self.index.batch(&locator.head).ok_or_else(|| {
					rpc_error(error::NOT_INDEXED, "a listed batch left the offchain database")
				})?);
			}
			if let Some(record) = cached.as_ref().and_then(|batch| view(batch, locator.position)) {
				records.push(record);
			}
		}
		Ok(RecordsPage { total, records })
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

#[cfg(test)]
mod tests {
	use super::*;
	use ims_primitives::{
		audit::{Activity, Actor, BatchCommitment, Entry, Source},
		Change, Subject,
	};
	use sp_core::offchain::storage::InMemOffchainStorage;

	fn batch(index: u64, subjects: &[Subject<AccountId>]) -> Batch {
		IndexedBatch {
			realm: 0,
			batch: index,
			previous_head: H256::zero(),
			source: Source::Chain,
			commitment: BatchCommitment {
				block: 1,
				count: subjects.len() as u32,
				root: H256::zero(),
				head: H256::repeat_byte(index as u8 + 1),
			},
			entries: subjects
				.iter()
				.map(|subject| Entry {
					subject: subject.clone(),
					actor: Actor::Governance,
					activity: Activity::Change(Change::Updated),
					result: 2001,
					at_ms: 0,
				})
				.collect(),
		}
	}

	#[test]
	fn records_are_listed_per_subject_across_commits_and_reopening() {
		let dir = tempfile::tempdir().unwrap();
		let mut offchain = InMemOffchainStorage::default();
		let (a, b) = (H256::repeat_byte(0xa), H256::repeat_byte(0xb));
		let batches = [
			batch(0, &[Subject::Impu(a), Subject::Impu(b), Subject::Impu(a)]),
			batch(1, &[Subject::Realm, Subject::Subscription(a)]),
		];
		for stored in &batches {
			offchain.set(
				STORAGE_PREFIX,
				&offchain_batch_key(&stored.commitment.head),
				&stored.encode(),
			);
		}
		{
			let index = AuditIndex::open(dir.path(), offchain.clone()).unwrap();
			for stored in &batches {
				let mut pending = Pending::default();
				index.add_batch(stored, &mut pending);
				pending.cursors.insert(0, stored.batch + 1);
				index.commit(&mut pending).unwrap();
			}
			assert_eq!(index.batch(&batches[1].commitment.head), Some(batches[1].clone()));
			assert_eq!(index.batch(&H256::zero()), None);
		}
		// Reopened, the index still lists everything, in order.
		let index = AuditIndex::open(dir.path(), offchain).unwrap();
		assert_eq!(index.cursor(0), 2);
		assert_eq!(index.cursor(1), 0);
		assert_eq!((index.count(&a), index.count(&b)), (3, 1));
		let positions: Vec<_> =
			(0..3).map(|n| index.locator(&a, n).map(|l| (l.batch, l.position))).collect();
		assert_eq!(positions, vec![Some((0, 0)), Some((0, 2)), Some((1, 1))]);
		assert_eq!(index.locator(&a, 3), None);
		let realm = subject_key::<AccountId>(0, &Subject::Realm);
		assert_eq!(index.count(&realm), 1);
		// A listed record reads back from its batch.
		let view = view(&batches[0], 2).unwrap();
		assert_eq!(view.entry.0, batches[0].entries[2].encode());
		assert_eq!(view.sequence, None);
		assert!(super::view(&batches[0], 3).is_none());
	}
}
