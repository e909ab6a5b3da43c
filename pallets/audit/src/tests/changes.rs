//! Tests of changes of the other pallets, sealed per block.

use super::*;

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
			weight_before + <() as crate::WeightInfo>::seal_changes(1) * 3
		);
		assert!(recorded().is_empty());
		assert_eq!(Pending::<Test>::decode_len(), Some(3));
		assert_eq!(PendingCount::<Test>::get(), 3);

		Audit::on_finalize(1);
		assert_eq!(Pending::<Test>::decode_len(), None);
		assert_eq!(PendingCount::<Test>::get(), 0);
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
		assert_ok!(submit(FRONT, SHARED_REALM, 0, batch_in(SHARED_REALM, 0, 1)));
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

fn members(from: u64, to: u64) -> Vec<(Subject<u64>, Change)> {
	(from..to).map(|n| (Subject::Member(n), Change::Granted(Role::Auditor))).collect()
}

#[test]
fn changes_reported_together_are_sealed_in_one_batch_in_order() {
	test(|| {
		let weight_before = System::block_weight().total();
		<Audit as AuditSink<u64>>::record_all(Some(&OWNER), REALM, members(0, 3));
		// One registration of their weight together.
		assert_eq!(
			System::block_weight().total(),
			weight_before + <() as crate::WeightInfo>::seal_changes(3)
		);
		Audit::on_finalize(1);
		let batches = recorded();
		assert_eq!(batches.len(), 1);
		let subjects: Vec<_> = batches[0].5.iter().map(|entry| entry.subject.clone()).collect();
		assert_eq!(subjects, (0..3).map(Subject::Member).collect::<Vec<_>>());
		assert!(batches[0].5.iter().all(|entry| entry.actor == Actor::Account(OWNER)));
	});
}

#[test]
fn changes_reported_together_beyond_the_buffer_lose_nothing() {
	test(|| {
		let changes = u64::from(MAX_PENDING) * 2 + 1;
		<Audit as AuditSink<u64>>::record_all(Some(&OWNER), REALM, members(0, changes));
		Audit::on_finalize(1);
		let entries: Vec<_> = recorded().into_iter().flat_map(|(.., entries)| entries).collect();
		let subjects: Vec<_> = entries.iter().map(|entry| entry.subject.clone()).collect();
		assert_eq!(subjects, (0..changes).map(Subject::Member).collect::<Vec<_>>());
	});
}

#[test]
fn the_count_follows_the_buffer_through_an_early_seal() {
	test(|| {
		<Audit as AuditSink<u64>>::record_all(Some(&OWNER), REALM, members(0, 3));
		assert_eq!(PendingCount::<Test>::get(), 3);
		assert_eq!(Pending::<Test>::get().len(), 3);
		// A full buffer is sealed when the next change comes; the count
		// starts again with it.
		let more = u64::from(MAX_PENDING);
		<Audit as AuditSink<u64>>::record_all(Some(&OWNER), REALM, members(3, 3 + more));
		assert_eq!(PendingCount::<Test>::get(), 3);
		assert_eq!(Pending::<Test>::get().len(), 3);
		assert_eq!(Trails::<Test>::get(REALM).map(|trail| trail.records), Some(more));
		Audit::on_finalize(1);
		assert_eq!(PendingCount::<Test>::get(), 0);
		assert_eq!(Trails::<Test>::get(REALM).map(|trail| trail.records), Some(more + 3));
	});
}

#[test]
fn the_sink_declares_what_it_registers() {
	test(|| {
		let weight_before = System::block_weight().total();
		<Audit as AuditSink<u64>>::record_all(Some(&OWNER), REALM, members(0, 5));
		assert_eq!(
			System::block_weight().total(),
			weight_before + <Audit as AuditSink<u64>>::record_all_weight(5)
		);
		assert_eq!(<Audit as AuditSink<u64>>::record_all_weight(5), Audit::changes_weight(5));
	});
}

#[test]
fn changes_reported_together_weigh_a_seal_per_bufferful() {
	use crate::WeightInfo;
	let full = <() as WeightInfo>::seal_changes(MAX_PENDING);
	assert_eq!(Audit::changes_weight(0), frame_support::weights::Weight::zero());
	assert_eq!(Audit::changes_weight(1), <() as WeightInfo>::seal_changes(1));
	assert_eq!(Audit::changes_weight(MAX_PENDING), full);
	assert_eq!(
		Audit::changes_weight(MAX_PENDING * 2 + 1),
		full * 2 + <() as WeightInfo>::seal_changes(1)
	);
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
			Subject::Consent(subscriber(REALM, 1), b"ads".to_vec().try_into().unwrap());
		assert_ok!(submit(FRONT, REALM, 8, records));
		assert_eq!(Trails::<Test>::get(REALM).unwrap().records, 11);
	});
}
