//! Tests of front batches: submit, sequence numbers, replays.

use super::*;

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
		assert_ok!(submit(FRONT, SHARED_REALM, 2, batch_in(SHARED_REALM, 2, 5)));
		assert_ok!(submit(OTHER_FRONT, SHARED_REALM, 0, batch_in(SHARED_REALM, 5, 6)));
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
		assert_noop!(
			submit(OTHER_FRONT, SHARED_REALM, 2, batch_in(SHARED_REALM, 0, 1)),
			Error::<Test>::SequenceGap
		);
	});
}

#[test]
fn a_replayed_batch_is_skipped_and_still_paid_for() {
	test(|| {
		assert_ok!(submit(FRONT, REALM, 0, batch(0, 4)));
		let trail = Trails::<Test>::get(REALM);
		System::reset_events();

		let info = Audit::submit(RuntimeOrigin::signed(FRONT), REALM, 0, batch(0, 4)).unwrap();
		assert_eq!(info.pays_fee, Pays::Yes, "no feeless replays");
		assert_eq!(info.actual_weight, Some(<() as crate::WeightInfo>::submit(0)));
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
