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
		BatchCommitment, Entry, IndexedBatch, ProofError, RecordProof, Source, Trail,
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

#[test]
fn submit_needs_a_signed_front() {
	test(|| {
		for origin in [RawOrigin::Root, RawOrigin::None] {
			assert_noop!(
				Audit::submit(origin.into(), REALM, 0, batch(0, 1)),
				DispatchError::BadOrigin
			);
		}
		// Signed but not a front of the realm: the owner, a stranger, and a
		// front of another realm.
		for who in [OWNER, STRANGER, OTHER_FRONT] {
			assert_noop!(submit(who, REALM, 0, batch(0, 1)), Error::<Test>::NotAuthorized);
		}
		assert_noop!(submit(FRONT, CLOSED_REALM, 0, batch(0, 1)), Error::<Test>::NotAuthorized);
	});
}

#[test]
fn each_submit_error_leaves_state_unchanged() {
	test(|| {
		assert_noop!(submit(FRONT, NO_REALM, 0, batch(0, 1)), Error::<Test>::RealmNotFound);
		assert_noop!(submit(FRONT, REALM, 0, BoundedVec::default()), Error::<Test>::EmptyBatch);
		assert_noop!(submit(FRONT, REALM, 1, batch(0, 1)), Error::<Test>::SequenceGap);

		let mut claims_change = batch(0, 2);
		claims_change[1].activity = Activity::Change(Change::Erased);
		assert_noop!(submit(FRONT, REALM, 0, claims_change), Error::<Test>::ChainOnlyActivity);

		let mut not_a_subscriber = batch(0, 2);
		not_a_subscriber[0].subject = Subject::Realm;
		assert_noop!(submit(FRONT, REALM, 0, not_a_subscriber), Error::<Test>::NotASubscriber);
		let mut not_a_subscriber = batch(0, 2);
		not_a_subscriber[1].subject = Subject::Member(STRANGER);
		assert_noop!(submit(FRONT, REALM, 0, not_a_subscriber), Error::<Test>::NotASubscriber);

		NextSequence::<Test>::insert(FRONT, u64::MAX - 1);
		assert_noop!(
			submit(FRONT, REALM, u64::MAX - 1, batch(0, 2)),
			Error::<Test>::SequenceOverflow
		);
		assert_eq!(Trails::<Test>::iter().count(), 0);
	});
}

#[test]
fn a_batch_is_committed_indexed_and_announced() {
	let mut ext = new_test_ext();
	let head = ext.execute_with(|| {
		let records = batch(10, 13);
		let entries: Vec<Entry<u64>> = records.iter().cloned().map(|r| r.into_entry()).collect();
		let info = Audit::submit(RuntimeOrigin::signed(FRONT), REALM, 0, records).unwrap();
		assert_eq!(info.pays_fee, Pays::Yes);

		let source = Source::Front { submitter: FRONT, first_sequence: 0 };
		let root = merkle_root(leaves(REALM, 0, &source, &entries));
		let head = chain_next(&H256::zero(), REALM, 0, &root, 3, &1u64);
		assert_eq!(
			Batches::<Test>::get(REALM, 0),
			Some(BatchCommitment { block: 1, count: 3, root, head })
		);
		assert_eq!(Trails::<Test>::get(REALM), Some(Trail { batches: 1, records: 3, head }));
		assert_eq!(NextSequence::<Test>::get(FRONT), 3);
		assert_eq!(Audit::next_sequence(FRONT), 3);
		assert_eq!(Audit::trails(), vec![(REALM, Trail { batches: 1, records: 3, head })]);
		assert_eq!(Audit::batch(REALM, 0).map(|c| c.root), Some(root));
		assert_eq!(
			System::events().into_iter().map(|r| r.event).collect::<Vec<_>>(),
			vec![RuntimeEvent::Audit(Event::Recorded {
				realm: REALM,
				batch: 0,
				source,
				root,
				head,
				records: entries.clone(),
			})]
		);
		assert_eq!(entries[0].actor, Actor::Peer(record(10).peer));
		head
	});
	// The records went to the node's offchain index, under the head.
	ext.persist_offchain_overlay();
	let stored = ext.offchain_db().get(&offchain_batch_key(&head)).expect("the batch is indexed");
	let indexed = IndexedBatch::<u64, u64>::decode(&mut &stored[..]).unwrap();
	assert_eq!(indexed.realm, REALM);
	assert_eq!(indexed.batch, 0);
	assert_eq!(indexed.previous_head, H256::zero());
	assert_eq!(indexed.commitment.head, head);
	assert_eq!(indexed.entries.len(), 3);
	ext.execute_with(|| Audit::do_try_state().unwrap());
}

#[test]
fn sequence_numbers_run_per_submitter_across_realms() {
	test(|| {
		assert_ok!(submit(FRONT, REALM, 0, batch(0, 2)));
		assert_ok!(submit(FRONT, SHARED_REALM, 2, batch(2, 5)));
		assert_ok!(submit(OTHER_FRONT, SHARED_REALM, 0, batch(5, 6)));
		assert_eq!(NextSequence::<Test>::get(FRONT), 5);
		assert_eq!(NextSequence::<Test>::get(OTHER_FRONT), 1);
		let batches: Vec<_> = recorded().into_iter().map(|(r, b, s, ..)| (r, b, s)).collect();
		assert_eq!(
			batches,
			vec![
				(REALM, 0, Source::Front { submitter: FRONT, first_sequence: 0 }),
				(SHARED_REALM, 0, Source::Front { submitter: FRONT, first_sequence: 2 }),
				(SHARED_REALM, 1, Source::Front { submitter: OTHER_FRONT, first_sequence: 0 }),
			]
		);
		// A front's next batch must start where it left off.
		assert_noop!(submit(OTHER_FRONT, SHARED_REALM, 2, batch(0, 1)), Error::<Test>::SequenceGap);
	});
}

#[test]
fn a_replayed_batch_is_skipped_and_free() {
	test(|| {
		assert_ok!(submit(FRONT, REALM, 0, batch(0, 4)));
		let trail = Trails::<Test>::get(REALM);
		System::reset_events();

		let info = Audit::submit(RuntimeOrigin::signed(FRONT), REALM, 0, batch(0, 4)).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		assert_eq!(Trails::<Test>::get(REALM), trail);
		assert_eq!(NextSequence::<Test>::get(FRONT), 4);
		System::assert_has_event(
			Event::Replayed { submitter: FRONT, first_sequence: 0, count: 4 }.into(),
		);
		assert!(recorded().is_empty());

		// A suffix of what was recorded is skipped as well.
		assert_ok!(submit(FRONT, REALM, 2, batch(2, 4)));
		assert_eq!(Trails::<Test>::get(REALM), trail);
	});
}

#[test]
fn a_partly_replayed_batch_records_only_the_new_records() {
	test(|| {
		assert_ok!(submit(FRONT, REALM, 0, batch(0, 3)));
		System::reset_events();
		// Sequence numbers 1..5: 1 and 2 were recorded, 3 and 4 are new.
		let info = Audit::submit(RuntimeOrigin::signed(FRONT), REALM, 1, batch(1, 5)).unwrap();
		assert_eq!(info.pays_fee, Pays::Yes);
		assert_eq!(NextSequence::<Test>::get(FRONT), 5);
		System::assert_has_event(
			Event::Replayed { submitter: FRONT, first_sequence: 1, count: 2 }.into(),
		);
		let batches = recorded();
		assert_eq!(batches.len(), 1);
		let (_, index, source, _, _, entries) = &batches[0];
		assert_eq!(*index, 1);
		assert_eq!(*source, Source::Front { submitter: FRONT, first_sequence: 3 });
		assert_eq!(entries, &vec![record(3).into_entry(), record(4).into_entry()]);
		assert_eq!(Trails::<Test>::get(REALM).unwrap().records, 5);
	});
}

#[test]
fn an_oversize_batch_does_not_decode() {
	test(|| {
		let records: Vec<_> = (0..=MAX_BATCH as u8).map(record).collect();
		let encoded = records.encode();
		assert!(FrontBatchOf::<Test>::decode(&mut &encoded[..]).is_err());

		// Nor does a call carrying it: it never reaches the pallet.
		let full = RuntimeCall::Audit(Call::submit {
			realm: REALM,
			first_sequence: 0,
			records: batch(0, MAX_BATCH as u8),
		});
		let mut bytes = full.encode();
		assert!(RuntimeCall::decode(&mut &bytes[..]).is_ok());
		let args = 2 + 4 + 8;
		bytes.truncate(args);
		bytes.extend(records.encode());
		assert!(RuntimeCall::decode(&mut &bytes[..]).is_err());
		// A truncated call does not decode either.
		let full = full.encode();
		assert!(RuntimeCall::decode(&mut &full[..full.len() - 1]).is_err());
	});
}

#[test]
fn the_weight_grows_with_the_batch() {
	let small = Call::<Test>::submit { realm: REALM, first_sequence: 0, records: batch(0, 1) };
	let large = Call::<Test>::submit { realm: REALM, first_sequence: 0, records: batch(0, 8) };
	assert!(
		small.get_dispatch_info().call_weight.ref_time()
			< large.get_dispatch_info().call_weight.ref_time()
	);
}

#[test]
fn the_hash_chain_runs_across_blocks() {
	new_test_ext().execute_with(|| {
		let mut expected_head = H256::zero();
		for block in 0..4u8 {
			assert_ok!(submit(FRONT, REALM, u64::from(block) * 2, batch(block * 2, block * 2 + 2)));
			let index = u64::from(block);
			let commitment = Batches::<Test>::get(REALM, index).unwrap();
			assert_eq!(commitment.block, u64::from(block) + 1);
			expected_head =
				chain_next(&expected_head, REALM, index, &commitment.root, 2, &commitment.block);
			assert_eq!(commitment.head, expected_head);
			next_block();
		}
		assert_eq!(
			Trails::<Test>::get(REALM),
			Some(Trail { batches: 4, records: 8, head: expected_head })
		);
		Audit::do_try_state().unwrap();

		// Every link is checked: altering one batch breaks the chain.
		Batches::<Test>::mutate(REALM, 1, |c| c.as_mut().unwrap().root = H256::repeat_byte(1));
		assert_eq!(Audit::do_try_state(), Err("a batch's chain link is broken".into()));
		Batches::<Test>::mutate(REALM, 1, |c| c.as_mut().unwrap().block = 9);
		assert_eq!(Audit::do_try_state(), Err("a batch's chain link is broken".into()));
	});
}

#[test]
fn the_invariants_catch_a_broken_trail() {
	let broken = |mutate: fn(), expected: &'static str| {
		new_test_ext().execute_with(|| {
			assert_ok!(submit(FRONT, REALM, 0, batch(0, 2)));
			assert_ok!(submit(FRONT, REALM, 2, batch(2, 4)));
			Audit::do_try_state().unwrap();
			mutate();
			assert_eq!(Audit::do_try_state(), Err(expected.into()));
		})
	};
	broken(|| Batches::<Test>::remove(REALM, 0), "a batch of a trail is missing");
	broken(
		|| Trails::<Test>::mutate(REALM, |t| t.as_mut().unwrap().records = 5),
		"a trail's record count is wrong",
	);
	broken(
		|| Trails::<Test>::mutate(REALM, |t| t.as_mut().unwrap().head = H256::zero()),
		"a trail's head is not its last batch's",
	);
	broken(
		|| Batches::<Test>::insert(REALM, 7, Batches::<Test>::get(REALM, 0).unwrap()),
		"a batch lies beyond its trail",
	);
	broken(
		|| Batches::<Test>::insert(CLOSED_REALM, 0, Batches::<Test>::get(REALM, 0).unwrap()),
		"a batch has no trail",
	);
	broken(
		|| Batches::<Test>::mutate(REALM, 0, |c| c.as_mut().unwrap().count = 0),
		"an empty batch is recorded",
	);
	broken(
		|| <Audit as AuditSink<u64>>::record(None, REALM, Subject::Realm, Change::Updated),
		"changes were left unsealed",
	);
}

/// A proof for the record at `position` of the realm's batch `index`, from
/// the batch's event.
fn proof(index: u64, position: u32) -> RecordProof<u64, u64> {
	let (realm, _, source, _, _, entries) =
		recorded().into_iter().find(|(_, b, ..)| *b == index).unwrap();
	let previous_head = if index == 0 {
		H256::zero()
	} else {
		Batches::<Test>::get(realm, index - 1).unwrap().head
	};
	RecordProof {
		realm,
		batch: index,
		position,
		siblings: merkle_proof(leaves(realm, index, &source, &entries), position).unwrap(),
		entry: entries[position as usize].clone(),
		source,
		previous_head,
		commitment: Batches::<Test>::get(realm, index).unwrap(),
	}
}

#[test]
fn a_record_proof_checks_against_the_chain() {
	test(|| {
		assert_ok!(submit(FRONT, REALM, 0, batch(0, 5)));
		next_block();
		assert_ok!(submit(FRONT, REALM, 5, batch(5, 12)));
		for (index, size) in [(0u64, 5u32), (1, 7)] {
			let on_chain = Batches::<Test>::get(REALM, index).unwrap();
			for position in 0..size {
				assert_eq!(proof(index, position).verify(REALM, index, &on_chain), Ok(()));
			}
		}
		let on_chain = Batches::<Test>::get(REALM, 1).unwrap();
		let valid = proof(1, 4);

		// A tampered record is refused.
		let mut tampered = valid.clone();
		tampered.entry.activity = Activity::Deregistration;
		assert_eq!(tampered.verify(REALM, 1, &on_chain), Err(ProofError::RootMismatch));
		let mut tampered = valid.clone();
		tampered.entry.at_ms += 1;
		assert_eq!(tampered.verify(REALM, 1, &on_chain), Err(ProofError::RootMismatch));
		// So is a record moved to another position or batch.
		let mut tampered = valid.clone();
		tampered.position = 3;
		assert_eq!(tampered.verify(REALM, 1, &on_chain), Err(ProofError::RootMismatch));
		assert_eq!(
			valid.verify(REALM, 0, &Batches::<Test>::get(REALM, 0).unwrap()),
			Err(ProofError::WrongBatch)
		);
		// A proof against a tampered root or head is refused.
		let tampered_root = BatchCommitment { root: H256::repeat_byte(9), ..on_chain };
		assert_eq!(valid.verify(REALM, 1, &tampered_root), Err(ProofError::RootMismatch));
		let tampered_head = BatchCommitment { head: H256::repeat_byte(9), ..on_chain };
		assert_eq!(valid.verify(REALM, 1, &tampered_head), Err(ProofError::ChainMismatch));
		// A prover's own commitment counts for nothing.
		let mut tampered = valid.clone();
		tampered.commitment.root = H256::repeat_byte(9);
		assert_eq!(tampered.verify(REALM, 1, &on_chain), Ok(()));
	});
}

#[test]
fn changes_are_sealed_at_the_end_of_the_block_by_realm() {
	test(|| {
		let subscription = H256::repeat_byte(5);
		let weight_before = System::block_weight().total();
		<Audit as AuditSink<u64>>::record(
			Some(&OWNER),
			SHARED_REALM,
			Subject::Subscription(subscription),
			Change::Created,
		);
		<Audit as AuditSink<u64>>::record(None, REALM, Subject::Realm, Change::Created);
		NowMs::set(1_700_000_000_500);
		<Audit as AuditSink<u64>>::record(
			Some(&STRANGER),
			SHARED_REALM,
			Subject::Call { pallet: 8, call: 3 },
			Change::Denied { module: 8, error: 1 },
		);
		// Each report registers its weight with the block.
		assert_eq!(
			System::block_weight().total(),
			weight_before + <() as crate::WeightInfo>::note_change() * 3
		);
		assert!(recorded().is_empty());
		assert_eq!(Pending::<Test>::decode_len(), Some(3));

		Audit::on_finalize(1);
		assert_eq!(Pending::<Test>::decode_len(), None);
		let batches = recorded();
		assert_eq!(batches.len(), 2);
		assert_eq!((batches[0].0, batches[0].2.clone()), (REALM, Source::Chain));
		assert_eq!(
			batches[0].5,
			vec![Entry {
				subject: Subject::Realm,
				actor: Actor::Governance,
				activity: Activity::Change(Change::Created),
				result: 2001,
				at_ms: 1_700_000_000_000,
			}]
		);
		assert_eq!(batches[1].0, SHARED_REALM);
		assert_eq!(
			batches[1].5,
			vec![
				Entry {
					subject: Subject::Subscription(subscription),
					actor: Actor::Account(OWNER),
					activity: Activity::Change(Change::Created),
					result: 2001,
					at_ms: 1_700_000_000_000,
				},
				Entry {
					subject: Subject::Call { pallet: 8, call: 3 },
					actor: Actor::Account(STRANGER),
					activity: Activity::Change(Change::Denied { module: 8, error: 1 }),
					result: 5003,
					at_ms: 1_700_000_000_500,
				},
			]
		);
		// Front batches and changes share a realm's chain.
		assert_ok!(submit(FRONT, SHARED_REALM, 0, batch(0, 1)));
		assert_eq!(Trails::<Test>::get(SHARED_REALM).unwrap().batches, 2);
	});
}

#[test]
fn a_full_buffer_is_sealed_early_and_nothing_is_lost() {
	test(|| {
		let changes = MAX_PENDING as usize * 2 + 1;
		for n in 0..changes {
			<Audit as AuditSink<u64>>::record(
				Some(&OWNER),
				REALM,
				Subject::Member(n as u64),
				Change::Granted(Role::Auditor),
			);
		}
		Audit::on_finalize(1);
		let entries: Vec<_> = recorded().into_iter().flat_map(|(.., entries)| entries).collect();
		assert_eq!(
			entries.iter().map(|e| e.subject.clone()).collect::<Vec<_>>(),
			(0..changes).map(|n| Subject::Member(n as u64)).collect::<Vec<_>>()
		);
		assert_eq!(Trails::<Test>::get(REALM).unwrap().records, changes as u64);
	});
}

#[test]
fn front_records_carry_any_activity_but_changes() {
	test(|| {
		let activities = [
			Activity::UserAuthorization,
			Activity::AuthenticationChallenge(ims_primitives::AuthScheme::AkaV1Md5),
			Activity::Resynchronisation,
			Activity::Registration,
			Activity::ReRegistration,
			Activity::Deregistration,
			Activity::UnregisteredService,
			Activity::LocationQuery,
		];
		let mut records = batch(0, 8);
		for (record, activity) in records.iter_mut().zip(activities) {
			record.activity = activity;
		}
		assert_ok!(submit(FRONT, REALM, 0, records));
		let mut records = batch(8, 11);
		records[0].activity = Activity::ShRead(ims_primitives::ShData::RepositoryData);
		records[1].activity = Activity::ShUpdate(ims_primitives::ShData::RepositoryData);
		records[2].activity = Activity::AccessDenied(Denial::MissingRole);
		records[2].subject =
			Subject::Consent(H256::repeat_byte(1), b"ads".to_vec().try_into().unwrap());
		assert_ok!(submit(FRONT, REALM, 8, records));
		assert_eq!(Trails::<Test>::get(REALM).unwrap().records, 11);
	});
}
