//! The audit trail: what a record says, how batches of records are committed
//! (a Merkle root per batch, a hash chain per realm) and how a record is
//! proven to be part of the trail.
//!
//! Leaves, inner nodes and chain links are hashed with BLAKE2b-256 under
//! distinct domain tags, so a leaf can never pass for an inner node:
//!
//! - leaf = H("ims-audit:leaf" ‖ SCALE(realm, batch, position, source, entry))
//! - node = H("ims-audit:node" ‖ left ‖ right); an odd node out moves up a
//!   level unchanged
//! - head = H("ims-audit:chain" ‖ SCALE(previous head, realm, batch, root,
//!   count, block))
//!
//! A realm's chain starts from the zero hash. The head of its latest batch
//! therefore commits to every record the realm ever had.

use crate::{AuthScheme, Change, Denial, Pseudonym, RealmId, ShData, Subject, Token};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// BLAKE2b-256 (a host function inside the runtime).
fn blake2_256(data: &[u8]) -> [u8; 32] {
	BlakeTwo256::hash(data).0
}

/// Domain tag of a leaf hash.
const LEAF_TAG: &[u8] = b"ims-audit:leaf";
/// Domain tag of an inner node hash.
const NODE_TAG: &[u8] = b"ims-audit:node";
/// Domain tag of a chain link.
const CHAIN_TAG: &[u8] = b"ims-audit:chain";
/// Domain tag of a non-pseudonymous subject's index key.
const SUBJECT_TAG: &[u8] = b"ims-audit:subject";
/// Prefix of the offchain-index key under which a batch's records are kept.
pub const OFFCHAIN_BATCH_PREFIX: &[u8] = b"ims-audit:batch:";

codec_type! {
	/// The Diameter peer or API client an HSS front acted for.
	pub enum Peer {
		/// A Diameter peer by its `Origin-Host`: a network element's name,
		/// operator data rather than personal data.
		Diameter(Token),
		/// An API client, by a hash of its identity (which may be personal),
		/// or a provisioning API client by its on-chain account (public
		/// already); zero when it presented no valid credential.
		Client(H256),
	}
}

codec_type! {
	/// What was done to the subject.
	pub enum Activity {
		/// UAR: the I-CSCF asked where the user may register.
		UserAuthorization,
		/// MAR: an authentication challenge was issued with this scheme.
		AuthenticationChallenge(AuthScheme),
		/// MAR with `AUTS`: the AKA sequence number was resynchronised.
		Resynchronisation,
		/// SAR `REGISTRATION`.
		Registration,
		/// SAR `RE_REGISTRATION`.
		ReRegistration,
		/// SAR `USER_DEREGISTRATION` and the other deregistration types.
		Deregistration,
		/// SAR `UNREGISTERED_USER`: an S-CSCF assigned for unregistered
		/// services.
		UnregisteredService,
		/// LIR: the serving S-CSCF was looked up.
		LocationQuery,
		/// Sh UDR: subscriber data was read.
		ShRead(ShData),
		/// Sh PUR: subscriber data was updated.
		ShUpdate(ShData),
		/// A change made on chain: provisioning, consent, erasure, roles, or
		/// a call refused for lack of a right (`Change::Denied`).
		Change(Change),
		/// A request the access policy refused, with its reason.
		AccessDenied(Denial),
		/// A request to a front's provisioning API
		/// (`docs/provisioning-api.md`, "The audit trail"): its method and
		/// the route it matched, a template such as
		/// `/v1/subscribers/{identity}` (never the path itself, which may
		/// hold an identity; empty when it matched none). The record's
		/// `result` is the HTTP status it was answered with.
		Api {
			/// The request's method.
			method: HttpMethod,
			/// The route's template.
			route: Token,
		},
	}
}

codec_type! {
	/// The method of a provisioning API request.
	#[derive(Copy)]
	pub enum HttpMethod {
		/// `GET` (and `HEAD`).
		Get,
		/// `POST`.
		Post,
		/// `PUT`.
		Put,
		/// `PATCH`.
		Patch,
		/// `DELETE`.
		Delete,
		/// Any other method.
		Other,
	}
}

codec_type! {
	/// Who acted.
	pub enum Actor<AccountId> {
		/// Governance (root).
		Governance,
		/// A signed account, through a call.
		Account(AccountId),
		/// The batch's HSS front, on behalf of this peer.
		Peer(Peer),
	}
}

codec_type! {
	/// One record of the trail.
	pub struct Entry<AccountId> {
		/// What it is about: a subscriber's pseudonym, or a realm object.
		pub subject: Subject<AccountId>,
		/// Who acted.
		pub actor: Actor<AccountId>,
		/// What was done.
		pub activity: Activity,
		/// The outcome: the Diameter `Result-Code` or `Experimental-Result-Code`
		/// of the answer (2001 success, 5001 user unknown, ...); changes made
		/// on chain carry 2001 and refusals 5003 (authorisation rejected);
		/// `Api` records carry the HTTP status.
		pub result: u32,
		/// When, in milliseconds since the Unix epoch: the bridge's clock for
		/// submitted records, the block's timestamp for changes made on chain.
		pub at_ms: u64,
	}
}

codec_type! {
	/// A record as an HSS front submits it: about a subscriber, on behalf of
	/// a peer. It becomes an [`Entry`] with [`Actor::Peer`].
	pub struct FrontRecord<AccountId> {
		/// The subscriber's subscription, IMPI or IMPU pseudonym.
		pub subject: Subject<AccountId>,
		/// The Diameter peer or API client served.
		pub peer: Peer,
		/// What was done; never [`Activity::Change`], which only the chain
		/// records.
		pub activity: Activity,
		/// The answer's result code.
		pub result: u32,
		/// The front's clock, in milliseconds since the Unix epoch.
		pub at_ms: u64,
	}
}

impl<AccountId> FrontRecord<AccountId> {
	/// The trail's entry for it.
	pub fn into_entry(self) -> Entry<AccountId> {
		Entry {
			subject: self.subject,
			actor: Actor::Peer(self.peer),
			activity: self.activity,
			result: self.result,
			at_ms: self.at_ms,
		}
	}
}

/// `DIAMETER_SUCCESS`: the result of a change made on chain.
pub const RESULT_SUCCESS: u32 = 2001;
/// `DIAMETER_AUTHORIZATION_REJECTED`: the result of a refusal.
pub const RESULT_REFUSED: u32 = 5003;

codec_type! {
	/// Where a batch comes from.
	pub enum Source<AccountId> {
		/// Changes the calls of block `block` made, sealed at its end.
		Chain,
		/// Records an HSS front submitted; record `i` carries its sequence
		/// number `first_sequence + i`.
		Front {
			/// The submitting account.
			submitter: AccountId,
			/// The sequence number of the first record.
			first_sequence: u64,
		},
	}
}

impl<AccountId> Source<AccountId> {
	/// The front's sequence number of the record at `position`, if the batch
	/// came from a front.
	pub fn sequence(&self, position: u32) -> Option<u64> {
		match self {
			Source::Chain => None,
			Source::Front { first_sequence, .. } => first_sequence.checked_add(position.into()),
		}
	}
}

codec_type! {
	/// A realm's trail: how many batches it holds and the chain head over
	/// them.
	#[derive(Copy, Default, serde::Serialize, serde::Deserialize)]
	pub struct Trail {
		/// Batches recorded; the next batch gets this index.
		pub batches: u64,
		/// Records in those batches.
		pub records: u64,
		/// Head of the hash chain (the zero hash before the first batch).
		pub head: H256,
	}
}

codec_type! {
	/// What the chain keeps of one batch, forever: enough to check a record's
	/// proof and the continuity of the hash chain.
	#[derive(Copy)]
	pub struct BatchCommitment<BlockNumber> {
		/// The block that recorded it.
		pub block: BlockNumber,
		/// Its records.
		pub count: u32,
		/// The Merkle root over its records.
		pub root: H256,
		/// The realm's chain head after it.
		pub head: H256,
	}
}

/// A batch as the runtime writes it into the node's offchain index, under
/// [`OFFCHAIN_BATCH_PREFIX`] followed by the batch's chain head.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct IndexedBatch<AccountId, BlockNumber> {
	/// Its realm.
	pub realm: RealmId,
	/// Its index in the realm.
	pub batch: u64,
	/// The chain head before it.
	pub previous_head: H256,
	/// Where it comes from.
	pub source: Source<AccountId>,
	/// Its commitment.
	pub commitment: BatchCommitment<BlockNumber>,
	/// Its records, in order.
	pub entries: Vec<Entry<AccountId>>,
}

/// The offchain-index key of the batch whose chain head is `head`. Keying by
/// the head (which commits to the whole trail before it) keeps two forks from
/// overwriting each other's batches.
pub fn offchain_batch_key(head: &H256) -> Vec<u8> {
	let mut key = OFFCHAIN_BATCH_PREFIX.to_vec();
	key.extend_from_slice(head.as_bytes());
	key
}

/// The hash of the record at `position` of batch `batch` of `realm`.
pub fn leaf_hash<AccountId: Encode>(
	realm: RealmId,
	batch: u64,
	position: u32,
	source: &Source<AccountId>,
	entry: &Entry<AccountId>,
) -> H256 {
	let mut data = LEAF_TAG.to_vec();
	(realm, batch, position, source, entry).encode_to(&mut data);
	H256(blake2_256(&data))
}

/// The inner node over two children.
fn node_hash(left: &H256, right: &H256) -> H256 {
	let mut data = [0u8; NODE_TAG.len() + 64];
	let (tag, children) = data.split_at_mut(NODE_TAG.len());
	tag.copy_from_slice(NODE_TAG);
	let (l, r) = children.split_at_mut(32);
	l.copy_from_slice(left.as_bytes());
	r.copy_from_slice(right.as_bytes());
	H256(blake2_256(&data))
}

/// The next level up: pairs hashed, an odd node out carried up unchanged.
fn level_up(level: &[H256]) -> Vec<H256> {
	level
		.chunks(2)
		.map(|pair| match pair {
			[left, right] => node_hash(left, right),
			[single] => *single,
			_ => H256::zero(),
		})
		.collect()
}

/// The Merkle root over `leaves`; the zero hash for none.
pub fn merkle_root(leaves: Vec<H256>) -> H256 {
	let mut level = leaves;
	while level.len() > 1 {
		level = level_up(&level);
	}
	level.first().copied().unwrap_or_default()
}

/// The sibling hashes from the leaf at `position` up to the root, bottom
/// first (levels where the node has no sibling are skipped); `None` if
/// `position` is out of range.
pub fn merkle_proof(leaves: Vec<H256>, position: u32) -> Option<Vec<H256>> {
	let mut index = usize::try_from(position).ok()?;
	if index >= leaves.len() {
		return None;
	}
	let mut level = leaves;
	let mut siblings = Vec::new();
	while level.len() > 1 {
		if let Some(sibling) = level.get(index ^ 1) {
			siblings.push(*sibling);
		}
		level = level_up(&level);
		index /= 2;
	}
	Some(siblings)
}

/// The root a proof leads to from `leaf` at `position` of `count` leaves;
/// `None` if the proof does not fit that shape.
pub fn root_from_proof(leaf: H256, position: u32, count: u32, siblings: &[H256]) -> Option<H256> {
	if position >= count {
		return None;
	}
	let (mut index, mut width, mut hash) = (position, count, leaf);
	let mut siblings = siblings.iter();
	while width > 1 {
		let sibling = index ^ 1;
		if sibling < width {
			let other = siblings.next()?;
			hash = if index % 2 == 0 { node_hash(&hash, other) } else { node_hash(other, &hash) };
		}
		index /= 2;
		width = width.div_ceil(2);
	}
	// Every sibling must have been used.
	siblings.next().is_none().then_some(hash)
}

/// The realm's chain head after a batch.
pub fn chain_next<BlockNumber: Encode>(
	previous_head: &H256,
	realm: RealmId,
	batch: u64,
	root: &H256,
	count: u32,
	block: &BlockNumber,
) -> H256 {
	let mut data = CHAIN_TAG.to_vec();
	(previous_head, realm, batch, root, count, block).encode_to(&mut data);
	H256(blake2_256(&data))
}

/// The key a subject's records are listed under in the node's index, within
/// its realm (the index is keyed by realm and this key, so that no realm's
/// records show in another's listing): the pseudonym itself for a
/// subscriber (a subscription, IMPI, IMPU or one of a subscription's
/// consents) and for an unknown identity, so a subscriber can ask for their
/// own trail with nothing but their realm and pseudonym; for any other
/// subject, a hash of it.
pub fn subject_key<AccountId: Encode>(subject: &Subject<AccountId>) -> H256 {
	match subject {
		Subject::Unknown(pseudonym) => *pseudonym,
		_ => match subscriber_of(subject) {
			Some(pseudonym) => pseudonym,
			None => {
				let mut data = SUBJECT_TAG.to_vec();
				subject.encode_to(&mut data);
				H256(blake2_256(&data))
			},
		},
	}
}

/// The subscriber pseudonym a subject is about, if it names a subscriber
/// of the realm's (an unknown identity does not).
pub fn subscriber_of<AccountId>(subject: &Subject<AccountId>) -> Option<Pseudonym> {
	match subject {
		Subject::Subscription(id) | Subject::Impi(id) | Subject::Impu(id) => Some(*id),
		Subject::Consent(subscription, _) => Some(*subscription),
		_ => None,
	}
}

codec_type! {
	/// Why a record's proof was refused.
	#[derive(Copy)]
	pub enum ProofError {
		/// The proof names another realm or batch than the commitment's.
		WrongBatch,
		/// The position or the sibling count does not fit the batch's size.
		Malformed,
		/// The record and its path do not lead to the committed root.
		RootMismatch,
		/// The batch's chain link does not lead to the committed head.
		ChainMismatch,
	}
}

/// Everything needed to show that one record is part of a realm's trail,
/// as the node's `imsAudit_proof` method returns it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RecordProof<AccountId, BlockNumber> {
	/// The realm.
	pub realm: RealmId,
	/// The batch's index in the realm.
	pub batch: u64,
	/// The record's position in the batch.
	pub position: u32,
	/// Where the batch comes from.
	pub source: Source<AccountId>,
	/// The record.
	pub entry: Entry<AccountId>,
	/// Sibling hashes from the leaf up, see [`merkle_proof`].
	pub siblings: Vec<H256>,
	/// The realm's chain head before the batch.
	pub previous_head: H256,
	/// The batch's commitment as the prover saw it.
	pub commitment: BatchCommitment<BlockNumber>,
}

impl<AccountId: Encode, BlockNumber: Encode + PartialEq> RecordProof<AccountId, BlockNumber> {
	/// Checks the proof against `on_chain`, the commitment the chain holds
	/// for (`realm`, `batch`) (read it from a finalized block): the record
	/// leads to its root, and the batch's chain link to its head.
	pub fn verify(
		&self,
		realm: RealmId,
		batch: u64,
		on_chain: &BatchCommitment<BlockNumber>,
	) -> Result<(), ProofError> {
		if self.realm != realm || self.batch != batch {
			return Err(ProofError::WrongBatch);
		}
		let leaf = leaf_hash(self.realm, self.batch, self.position, &self.source, &self.entry);
		let root = root_from_proof(leaf, self.position, on_chain.count, &self.siblings)
			.ok_or(ProofError::Malformed)?;
		if root != on_chain.root {
			return Err(ProofError::RootMismatch);
		}
		let head =
			chain_next(&self.previous_head, realm, batch, &root, on_chain.count, &on_chain.block);
		if head != on_chain.head {
			return Err(ProofError::ChainMismatch);
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn leaves(n: u8) -> Vec<H256> {
		(0..n).map(H256::repeat_byte).collect()
	}

	#[test]
	fn every_leaf_proves_for_every_size() {
		for n in 1..=33u8 {
			let all = leaves(n);
			let root = merkle_root(all.clone());
			for (position, leaf) in all.iter().enumerate() {
				let position = position as u32;
				let proof = merkle_proof(all.clone(), position).unwrap();
				assert!(proof.len() <= 6);
				assert_eq!(root_from_proof(*leaf, position, n.into(), &proof), Some(root));
				// Another leaf, position or size does not lead to the root.
				let other = H256::repeat_byte(0xee);
				assert_ne!(root_from_proof(other, position, n.into(), &proof), Some(root));
				if n > 1 {
					let moved = (position + 1) % u32::from(n);
					assert_ne!(root_from_proof(*leaf, moved, n.into(), &proof), Some(root));
				}
				assert_eq!(root_from_proof(*leaf, u32::from(n), n.into(), &proof), None);
			}
			assert_eq!(merkle_proof(all, n.into()), None);
		}
	}

	#[test]
	fn roots_of_small_trees() {
		assert_eq!(merkle_root(Vec::new()), H256::zero());
		let [a, b, c] = [H256::repeat_byte(1), H256::repeat_byte(2), H256::repeat_byte(3)];
		assert_eq!(merkle_root(vec![a]), a);
		assert_eq!(merkle_root(vec![a, b]), node_hash(&a, &b));
		assert_eq!(merkle_root(vec![a, b, c]), node_hash(&node_hash(&a, &b), &c));
		// A leaf never equals the node over two others: distinct tags.
		assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
	}

	#[test]
	fn extra_or_missing_siblings_are_refused() {
		let all = leaves(5);
		let root = merkle_root(all.clone());
		let mut proof = merkle_proof(all.clone(), 2).unwrap();
		proof.push(H256::zero());
		assert_eq!(root_from_proof(all[2], 2, 5, &proof), None);
		proof.truncate(1);
		assert_eq!(root_from_proof(all[2], 2, 5, &proof), None);
		assert_ne!(root, H256::zero());
	}

	fn entry(result: u32) -> Entry<u64> {
		Entry {
			subject: Subject::Impu(H256::repeat_byte(7)),
			actor: Actor::Peer(Peer::Diameter(
				b"scscf.ims.example.net".to_vec().try_into().unwrap(),
			)),
			activity: Activity::AuthenticationChallenge(AuthScheme::SipDigest),
			result,
			at_ms: 1_700_000_000_000,
		}
	}

	fn proven_batch() -> (Vec<Entry<u64>>, Source<u64>, BatchCommitment<u32>, H256) {
		let entries: Vec<_> = (0..3).map(|i| entry(2001 + i)).collect();
		let source = Source::Front { submitter: 9, first_sequence: 40 };
		let leaves = entries
			.iter()
			.enumerate()
			.map(|(i, e)| leaf_hash(4, 7, i as u32, &source, e))
			.collect();
		let root = merkle_root(leaves);
		let previous = H256::repeat_byte(0xaa);
		let head = chain_next(&previous, 4, 7, &root, 3, &12u32);
		(entries, source, BatchCommitment { block: 12, count: 3, root, head }, previous)
	}

	fn proof_of(position: u32) -> (RecordProof<u64, u32>, BatchCommitment<u32>) {
		let (entries, source, commitment, previous_head) = proven_batch();
		let leaves = entries
			.iter()
			.enumerate()
			.map(|(i, e)| leaf_hash(4, 7, i as u32, &source, e))
			.collect();
		let proof = RecordProof {
			realm: 4,
			batch: 7,
			position,
			source,
			entry: entries[position as usize].clone(),
			siblings: merkle_proof(leaves, position).unwrap(),
			previous_head,
			commitment,
		};
		(proof, commitment)
	}

	#[test]
	fn a_record_proof_verifies_against_the_commitment() {
		for position in 0..3 {
			let (proof, commitment) = proof_of(position);
			assert_eq!(proof.verify(4, 7, &commitment), Ok(()));
			assert_eq!(proof.source.sequence(position), Some(40 + u64::from(position)));
		}
	}

	#[test]
	fn tampering_is_detected() {
		let (proof, commitment) = proof_of(1);
		let mut tampered = proof.clone();
		tampered.entry.result = 5001;
		assert_eq!(tampered.verify(4, 7, &commitment), Err(ProofError::RootMismatch));
		let mut tampered = proof.clone();
		tampered.source = Source::Front { submitter: 9, first_sequence: 41 };
		assert_eq!(tampered.verify(4, 7, &commitment), Err(ProofError::RootMismatch));
		let mut tampered = proof.clone();
		tampered.position = 0;
		assert_eq!(tampered.verify(4, 7, &commitment), Err(ProofError::RootMismatch));
		let mut tampered = proof.clone();
		tampered.siblings.pop();
		assert_eq!(tampered.verify(4, 7, &commitment), Err(ProofError::Malformed));
		let mut tampered = proof.clone();
		tampered.previous_head = H256::zero();
		assert_eq!(tampered.verify(4, 7, &commitment), Err(ProofError::ChainMismatch));
		// A forged root on the prover's side changes nothing: the chain's
		// commitment is what counts, and a forged chain root is refused.
		let forged = BatchCommitment { root: H256::repeat_byte(1), ..commitment };
		assert_eq!(proof.verify(4, 7, &forged), Err(ProofError::RootMismatch));
		let forged = BatchCommitment { head: H256::repeat_byte(1), ..commitment };
		assert_eq!(proof.verify(4, 7, &forged), Err(ProofError::ChainMismatch));
		assert_eq!(proof.verify(4, 8, &commitment), Err(ProofError::WrongBatch));
		assert_eq!(proof.verify(5, 7, &commitment), Err(ProofError::WrongBatch));
	}

	#[test]
	fn subscribers_are_indexed_by_their_own_pseudonym() {
		let id = H256::repeat_byte(3);
		assert_eq!(subject_key::<u64>(&Subject::Impi(id)), id);
		assert_eq!(subject_key::<u64>(&Subject::Unknown(id)), id);
		assert_eq!(
			subject_key::<u64>(&Subject::Consent(id, b"billing".to_vec().try_into().unwrap())),
			id
		);
		assert_eq!(subscriber_of::<u64>(&Subject::Unknown(id)), None);
		let realm_key = subject_key::<u64>(&Subject::Realm);
		assert_ne!(realm_key, subject_key::<u64>(&Subject::Member(5)));
		assert_ne!(
			subject_key::<u64>(&Subject::Member(5)),
			subject_key::<u64>(&Subject::Member(6))
		);
	}
}
