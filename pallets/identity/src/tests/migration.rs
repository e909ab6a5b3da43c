//! Storage version 1 -> 2: links move from their maps into the IMPI
//! records.

use super::*;
use crate::migrations::v2::{v1, MigrateV1ToV2};
use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

/// Rewrite the current state as version 1 left it: IMPI records with a link
/// count, and every link in both maps.
fn as_version_1() -> Vec<(H256, ImpiRecordOf<Test>)> {
	let records: Vec<_> = Impis::<Test>::iter().collect();
	for (impi, record) in &records {
		let old = v1::ImpiRecord {
			subscription: record.subscription,
			realm: record.realm,
			schemes: record.schemes,
			default_scheme: record.default_scheme,
			credential_epoch: record.credential_epoch,
			impus: record.impus.len() as u32,
		};
		frame_support::storage::unhashed::put(&Impis::<Test>::hashed_key_for(impi), &old);
		for impu in &record.impus {
			v1::ImpusOfImpi::<Test>::insert(impi, impu, ());
			v1::ImpisOfImpu::<Test>::insert(impu, impi, ());
		}
	}
	StorageVersion::new(1).put::<Identity>();
	records
}

#[test]
fn links_move_into_the_impi_records() {
	ExtBuilder::build().execute_with(|| {
		with_impu3();
		assert_ok!(Identity::create_impi(root(), SUB, IMPI2, schemes(), AuthScheme::SipDigest));
		assert_ok!(Identity::link(root(), IMPI2, IMPU2));
		assert_ok!(Identity::rotate_credentials(root(), IMPI2));
		let before = as_version_1();
		assert_eq!(v1::ImpusOfImpi::<Test>::iter().count(), 3);

		let weight = MigrateV1ToV2::<Test>::on_runtime_upgrade();

		let mut after: Vec<_> = Impis::<Test>::iter().collect();
		after.sort_by_key(|(impi, _)| *impi);
		let mut expected = before;
		expected.sort_by_key(|(impi, _)| *impi);
		assert_eq!(after, expected);
		assert_eq!(impus_of(IMPI), vec![IMPU, IMPU2]);
		assert_eq!(Identity::impis_linked_to(IMPU2, SUB), vec![IMPI, IMPI2]);
		assert!(v1::ImpusOfImpi::<Test>::iter().next().is_none());
		assert!(v1::ImpisOfImpu::<Test>::iter().next().is_none());
		assert_eq!(Identity::on_chain_storage_version(), 2);
		assert_ok!(Identity::do_try_state());
		// Two IMPIs and three links read, the IMPIs written, the links
		// removed from both maps, and the version read and written.
		let db = <Test as frame_system::Config>::DbWeight::get();
		assert_eq!(weight, db.reads_writes(2 + 3 + 1, 2 + 3 * 2 + 1));
	});
}

#[test]
fn a_migrated_pallet_is_not_migrated_again() {
	ExtBuilder::build().execute_with(|| {
		subscriber();
		StorageVersion::new(2).put::<Identity>();
		let before: Vec<_> = Impis::<Test>::iter().collect();
		let weight = MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Impis::<Test>::iter().collect::<Vec<_>>(), before);
		assert_eq!(weight, <Test as frame_system::Config>::DbWeight::get().reads(1));
	});
}
