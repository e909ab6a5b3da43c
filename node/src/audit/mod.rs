//! The audit trail's index and JSON-RPC methods.
//!
//! The runtime writes every sealed batch into the node's offchain database
//! (offchain indexing, always on in this node), keyed by the batch's chain
//! head. An indexer task follows finality: for each realm it walks the new
//! batches of the finalized trail, reads each batch from the offchain
//! database and lists its records under their realm and subject (a
//! subscriber's pseudonym, see `ims_primitives::audit::subject_key`) in a
//! ParityDB database of its own, `ims-audit-index` next to the chain's
//! database. The RPC methods read that index:
//!
//! - `imsAudit_records(realm, subject, start?, limit?)`: a subject's records
//!   in a realm, oldest first, for the node's own operator (unsafe RPC);
//! - `imsAudit_signedRecords(request)`: the same, in one realm, for an
//!   account that signed the request and holds `ReadAudit` there;
//! - `imsAudit_proof(realm, batch, position)`: a record with its Merkle
//!   proof, to check with `RecordProof::verify` against the commitment a
//!   finalized block holds (`AuditApi_batch`).
//!
//! `rpc.rs` serves them (`docs/audit-rpc.md`), `signed.rs` checks signed
//! requests.
//!
//! Keying batches by their chain head makes the offchain writes of two forks
//! land on different keys; only batches of the finalized trail are indexed.

mod rpc;
mod signed;

use std::{collections::BTreeMap, sync::Arc};

use codec::{Decode, Encode};
use futures::StreamExt;
use ims_primitives::{
	audit::{offchain_batch_key, subject_key, IndexedBatch},
	AuditApi, RealmId,
};
use ims_runtime::{opaque::Block, AccountId, BlockNumber};
use sc_client_api::BlockchainEvents;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{
	offchain::{OffchainStorage, STORAGE_PREFIX},
	H256,
};

/// A batch as the runtime indexed it.
pub type Batch = IndexedBatch<AccountId, BlockNumber>;

/// Column of the index database holding `subject key ‖ n` -> the
/// subject's `n`-th record.
const LOCATORS: u8 = 0;
/// Column holding `subject key` -> how many records it has,
/// `CURSOR_PREFIX ‖ realm` -> the next batch of the realm to index, and
/// [`VERSION_KEY`] -> the layout's version.
const COUNTERS: u8 = 1;
/// Key prefix of a realm's cursor in [`COUNTERS`].
const CURSOR_PREFIX: &[u8] = b"cursor:";
/// Key of the layout's version in [`COUNTERS`].
const VERSION_KEY: &[u8] = b"version";
/// The layout's version: 2 since subject keys include the realm. An index
/// of another version is rebuilt from the offchain database.
const VERSION: u32 = 2;
/// Batches indexed per database commit while catching up.
const BATCHES_PER_COMMIT: usize = 64;

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

/// Where a subject's records are listed: its realm and its
/// `subject_key`, so that no realm's records show in another's listing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct SubjectKey([u8; 36]);

impl SubjectKey {
	/// The key of `subject` (a subscriber's pseudonym, or `subject_key`)
	/// in `realm`.
	pub fn new(realm: RealmId, subject: &H256) -> Self {
		let mut key = [0u8; 36];
		let (head, tail) = key.split_at_mut(4);
		head.copy_from_slice(&realm.to_le_bytes());
		tail.copy_from_slice(subject.as_bytes());
		Self(key)
	}

	fn as_bytes(&self) -> &[u8] {
		&self.0
	}
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
	counts: BTreeMap<SubjectKey, u64>,
	/// Realms' new cursors.
	cursors: BTreeMap<RealmId, u64>,
	/// Batches listed.
	batches: usize,
}

impl<S: OffchainStorage> AuditIndex<S> {
	/// Opens (or creates) the index database at `path`, over the node's
	/// offchain database `offchain`. An index of another layout is
	/// removed: the indexer lists every batch again from the offchain
	/// database.
	pub fn open(path: &std::path::Path, offchain: S) -> Result<Self, String> {
		let failed = |e: &dyn std::fmt::Display| {
			format!("opening the audit index at {}: {e}", path.display())
		};
		let options = parity_db::Options::with_columns(path, 2);
		let db = parity_db::Db::open_or_create(&options).map_err(|e| failed(&e))?;
		let version = db.get(COUNTERS, VERSION_KEY).map_err(|e| failed(&e))?;
		if version.as_deref() == Some(&VERSION.encode()[..]) {
			return Ok(Self { offchain, db: Arc::new(db) });
		}
		drop(db);
		log::info!(target: "ims-audit", "rebuilding the audit index at {}: its layout is an older node's", path.display());
		std::fs::remove_dir_all(path).map_err(|e| failed(&e))?;
		let db = parity_db::Db::open_or_create(&options).map_err(|e| failed(&e))?;
		db.commit([(COUNTERS, VERSION_KEY.to_vec(), Some(VERSION.encode()))])
			.map_err(|e| failed(&e))?;
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
	pub fn count(&self, subject: &SubjectKey) -> u64 {
		self.get(COUNTERS, subject.as_bytes()).unwrap_or(0)
	}

	fn locator(&self, subject: &SubjectKey, n: u64) -> Option<Locator> {
		self.get(LOCATORS, &key(subject.as_bytes(), &[&n.to_le_bytes()]))
	}

	/// The next batch of `realm` to index.
	fn cursor(&self, realm: RealmId) -> u64 {
		self.get(COUNTERS, &key(CURSOR_PREFIX, &[&realm.to_le_bytes()])).unwrap_or(0)
	}

	/// Lists the records of `batch` under their subjects, in `pending`.
	fn add_batch(&self, batch: &Batch, pending: &mut Pending) {
		for (position, entry) in (0u32..).zip(&batch.entries) {
			let subject = SubjectKey::new(batch.realm, &subject_key(&entry.subject));
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

pub use rpc::{ImsAudit, ImsAuditApiServer};

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
		let index = AuditIndex::open(dir.path(), offchain.clone()).unwrap();
		assert_eq!(index.cursor(0), 2);
		assert_eq!(index.cursor(1), 0);
		let (a, b) = (SubjectKey::new(0, &a), SubjectKey::new(0, &b));
		assert_eq!((index.count(&a), index.count(&b)), (3, 1));
		let positions: Vec<_> =
			(0..3).map(|n| index.locator(&a, n).map(|l| (l.batch, l.position))).collect();
		assert_eq!(positions, vec![Some((0, 0)), Some((0, 2)), Some((1, 1))]);
		assert_eq!(index.locator(&a, 3), None);
		let realm = SubjectKey::new(0, &subject_key::<AccountId>(&Subject::Realm));
		assert_eq!(index.count(&realm), 1);
		// A listed record reads back from its batch.
		let view = rpc::view(&batches[0], 2).unwrap();
		assert_eq!(view.entry.0, batches[0].entries[2].encode());
		assert_eq!(view.sequence, None);
		assert!(rpc::view(&batches[0], 3).is_none());

		// An index of an older layout (no version) is rebuilt from nothing:
		// the indexer lists every batch again.
		index.db.commit([(COUNTERS, VERSION_KEY.to_vec(), None)]).unwrap();
		drop(index);
		let index = AuditIndex::open(dir.path(), offchain).unwrap();
		assert_eq!((index.cursor(0), index.count(&a)), (0, 0));
		assert_eq!(index.batch(&batches[1].commitment.head), Some(batches[1].clone()));
	}

	/// An index over `batches` (all of realm `batch.realm`), committed.
	fn index_of(dir: &std::path::Path, batches: &[Batch]) -> AuditIndex<InMemOffchainStorage> {
		let mut offchain = InMemOffchainStorage::default();
		for stored in batches {
			let key = offchain_batch_key(&stored.commitment.head);
			offchain.set(STORAGE_PREFIX, &key, &stored.encode());
		}
		let index = AuditIndex::open(dir, offchain).unwrap();
		let mut pending = Pending::default();
		for stored in batches {
			index.add_batch(stored, &mut pending);
		}
		index.commit(&mut pending).unwrap();
		index
	}

	#[test]
	fn a_page_decodes_a_bounded_number_of_batches_and_says_where_to_go_on() {
		let dir = tempfile::tempdir().unwrap();
		let a = H256::repeat_byte(0xa);
		// One record of `a` in each of 100 batches.
		let batches: Vec<Batch> = (0..100).map(|i| batch(i, &[Subject::Impu(a)])).collect();
		let key_a = SubjectKey::new(0, &a);
		let index = index_of(dir.path(), &batches);
		let page = index.page(&key_a, 0, 1000).unwrap();
		assert_eq!(page.total, 100);
		assert_eq!(page.records.len(), rpc::MAX_BATCHES_PER_PAGE);
		assert_eq!(page.next, Some(rpc::MAX_BATCHES_PER_PAGE as u64));
		let rest = index.page(&key_a, page.next.unwrap(), 1000).unwrap();
		assert_eq!(rest.records.len(), 100 - rpc::MAX_BATCHES_PER_PAGE);
		assert_eq!(rest.next, None);
		let batches_listed: Vec<u64> =
			page.records.iter().chain(&rest.records).map(|r| r.batch).collect();
		assert_eq!(batches_listed, (0..100).collect::<Vec<_>>());
		// Records sharing a batch cost one decode.
		let dir = tempfile::tempdir().unwrap();
		let many = vec![Subject::Impu(a); 500];
		let index = index_of(dir.path(), &[batch(0, &many), batch(1, &many)]);
		let page = index.page(&key_a, 0, 1000).unwrap();
		assert_eq!((page.records.len(), page.next), (1000, None));
		let limited = index.page(&key_a, 10, 5).unwrap();
		assert_eq!((limited.records.len(), limited.next), (5, Some(15)));
		for limit in [0, rpc::MAX_PAGE + 1] {
			let refused = index.page(&key_a, 0, limit).err().unwrap();
			assert_eq!(refused.code(), rpc::error::INVALID_PARAMS);
		}
	}

	#[test]
	fn a_subjects_records_are_listed_per_realm() {
		let dir = tempfile::tempdir().unwrap();
		let a = H256::repeat_byte(0xa);
		let mut other = batch(1, &[Subject::Impu(a), Subject::Unknown(a)]);
		other.realm = 7;
		let index = index_of(dir.path(), &[batch(0, &[Subject::Impu(a)]), other]);
		let mine = index.page(&SubjectKey::new(0, &a), 0, 10).unwrap();
		assert_eq!(mine.records.iter().map(|r| r.realm).collect::<Vec<_>>(), vec![0]);
		assert_eq!((mine.total, mine.next), (1, None));
		// Realm 7's records of the same pseudonym, one of them about it as
		// an unknown identity, are listed under realm 7 only.
		let theirs = index.page(&SubjectKey::new(7, &a), 0, 10).unwrap();
		assert_eq!(theirs.records.iter().map(|r| r.realm).collect::<Vec<_>>(), vec![7, 7]);
		assert_eq!(theirs.total, 2);
		assert_eq!(index.page(&SubjectKey::new(1, &a), 0, 10).unwrap().total, 0);
	}
}
