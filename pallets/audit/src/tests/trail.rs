//! Tests of the hash chain, its invariants and record proofs.

use super::*;

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
		|| LastRecordTime::<Test>::insert(OTHER_FRONT, RECORD_MS),
		"a front has a time but no records",
	);
	broken(
		|| LastRecordTime::<Test>::insert(FRONT, RECORD_MS + 1),
		"a front's last record time is off the step",
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
