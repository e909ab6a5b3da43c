//! Data keys in the keyring: erasure that holds for old copies of the
//! vault file, the vault key's rotation while the vault is read, what a
//! crash leaves, and vaults made before keyrings.

use super::{alice, key, named};
use crate::pseudonym::Kind;
use crate::vault::key::ENCRYPTION_LABEL;
use crate::vault::keyring::SLOT_SIZE;
use crate::vault::seal::FileSeal;
use crate::vault::{
	sealed, Vault, VaultError, VaultKey, KEY_CHECK, KEY_CHECK_PLAINTEXT, LOOKUP, META, SUBSCRIBERS,
};
use codec::Encode;
use redb::{Database, ReadableDatabase};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

fn new_key() -> VaultKey {
	VaultKey::from_bytes([7; 32])
}

/// The vault file and its keyring in `dir`.
fn files(dir: &Path) -> (PathBuf, PathBuf) {
	(dir.join("vault.redb"), dir.join("vault.keys"))
}

/// Copies the vault file and its keyring from `from` to `to`, as a backup
/// would.
fn copy_files(from: &Path, to: &Path) {
	std::fs::create_dir_all(to).unwrap();
	for name in ["vault.redb", "vault.keys"] {
		std::fs::copy(from.join(name), to.join(name)).unwrap();
	}
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	haystack.windows(needle.len()).any(|w| w == needle)
}

/// The slot a subscription's record names.
fn slot_of(vault: &Vault, handle: &[u8; 32]) -> u32 {
	let db = vault.db();
	let txn = db.begin_read().unwrap();
	let records = txn.open_table(SUBSCRIBERS).unwrap();
	let sealed = records.get(handle.as_slice()).unwrap().unwrap();
	sealed::slot_of(sealed.value()).unwrap().unwrap()
}

#[test]
fn an_old_copy_of_the_vault_file_does_not_open_an_erased_subscriber() {
	let live = tempfile::tempdir().unwrap();
	let backup = tempfile::tempdir().unwrap();
	let (path, _) = files(live.path());
	let bob = named("bob-subscription", "bob@ims.test", "sip:bob@ims.test");
	let handle = {
		let vault = Vault::open(&path, &key()).unwrap();
		vault.put(&bob).unwrap();
		vault.put(&alice()).unwrap()
	};
	copy_files(live.path(), backup.path());
	{
		let vault = Vault::open(&path, &key()).unwrap();
		assert!(vault.erase(&handle).unwrap());
		// The slot is taken again by the next subscription.
		vault.put(&named("carol-subscription", "carol@ims.test", "sip:carol@ims.test")).unwrap();
	}
	// The vault file as it was before the erasure, with the keyring as it
	// is now: a restore. Everyone but alice is back.
	std::fs::copy(live.path().join("vault.keys"), backup.path().join("vault.keys")).unwrap();
	let restored = Vault::open(&backup.path().join("vault.redb"), &key()).unwrap();
	assert!(matches!(restored.get(&handle), Err(VaultError::KeyDestroyed)));
	assert!(matches!(restored.find(Kind::Impi, "alice@ims.test"), Err(VaultError::KeyDestroyed)));
	assert_eq!(restored.find(Kind::Impi, "bob@ims.test").unwrap(), Some(bob));
}

#[test]
fn an_old_copy_of_the_keyring_still_opens_what_it_held() {
	// The limit of erasure that `docs/vault.md` states for backups: a copy
	// of the keyring is what keeps an erased subscriber readable.
	let live = tempfile::tempdir().unwrap();
	let backup = tempfile::tempdir().unwrap();
	let (path, _) = files(live.path());
	let alice = alice();
	let handle = Vault::open(&path, &key()).unwrap().put(&alice).unwrap();
	copy_files(live.path(), backup.path());
	assert!(Vault::open(&path, &key()).unwrap().erase(&handle).unwrap());
	let old = Vault::open(&backup.path().join("vault.redb"), &key()).unwrap();
	assert_eq!(old.get(&handle).unwrap(), Some(alice));
}

#[test]
fn erasure_leaves_neither_the_key_nor_the_subscriber_in_the_live_files() {
	let dir = tempfile::tempdir().unwrap();
	let (path, keyring) = files(dir.path());
	let vault = Vault::open(&path, &key()).unwrap();
	let subscriber = alice();
	let handle = vault.put(&subscriber).unwrap();
	let slot = slot_of(&vault, &handle);
	let slot_bytes = vault.keys.slot_bytes(slot);
	let data_key = vault.keys.data_key(slot, &handle).unwrap();
	let wrapped = &slot_bytes[37..37 + 73];
	assert!(contains(&std::fs::read(&keyring).unwrap(), wrapped));
	assert!(vault.erase(&handle).unwrap());
	assert_eq!(vault.keys.slot_bytes(slot), vec![0u8; SLOT_SIZE]);
	assert_eq!(vault.keyring_usage(), (0, 1));
	for file in [&path, &keyring] {
		let bytes = std::fs::read(file).unwrap();
		let aka = subscriber.impis[0].aka.as_ref().unwrap();
		let needles: [(&str, &[u8]); 8] = [
			("the wrapped key", wrapped),
			("the data key", data_key.as_slice()),
			("the handle", &handle),
			("the salt", &subscriber.salt),
			("K", &aka.k),
			("OPc", &aka.opc),
			("the IMPI", b"alice@ims.test"),
			("an IMPU", b"tel:+15550100"),
		];
		for (what, needle) in needles {
			assert!(!contains(&bytes, needle), "{what} is in {}", file.display());
		}
	}
}

#[test]
fn the_vault_key_rotates_while_the_vault_is_read_and_written() {
	let dir = tempfile::tempdir().unwrap();
	let (path, keyring) = files(dir.path());
	let vault = Arc::new(Vault::open_with_cache(&path, &key(), 0).unwrap());
	let count = 100;
	for n in 0..count {
		vault
			.put(&named(&format!("s{n}"), &format!("u{n}@ims.test"), &format!("sip:u{n}@ims.test")))
			.unwrap();
	}
	let unknown = vault.unknown_pseudonym(Kind::Impu, "sip:nobody@ims.test");
	let stop = Arc::new(AtomicBool::new(false));
	let reads = Arc::new(AtomicUsize::new(0));
	let reader = {
		let (vault, stop, reads) = (vault.clone(), stop.clone(), reads.clone());
		std::thread::spawn(move || {
			let mut n = 0;
			while !stop.load(Ordering::Acquire) && n < 1_000_000 {
				let who = format!("u{}@ims.test", n % count);
				assert!(vault.find(Kind::Impi, &who).unwrap().is_some(), "{who} unreadable");
				reads.fetch_add(1, Ordering::Relaxed);
				n += 1;
			}
		})
	};
	// A rotation in steps, with a write between two of them.
	vault.keys.begin_rotation(&new_key()).unwrap();
	assert_eq!(vault.keys.rewrap(0, Some(2)).unwrap(), (32, 32));
	vault.put(&named("late", "late@ims.test", "sip:late@ims.test")).unwrap();
	let rest = vault.rotate_key(&new_key()).unwrap();
	// The late subscription was wrapped under the new key at once.
	assert_eq!(rest, count as u64 - 32);
	stop.store(true, Ordering::Release);
	reader.join().unwrap();
	assert!(reads.load(Ordering::Relaxed) > 0);
	let header = std::fs::read(&keyring).unwrap();
	drop(vault);
	assert!(matches!(Vault::open(&path, &key()), Err(VaultError::WrongKey)));
	let vault = Vault::open(&path, &new_key()).unwrap();
	for n in 0..count {
		assert!(vault.find(Kind::Impi, &format!("u{n}@ims.test")).unwrap().is_some());
	}
	assert!(vault.find(Kind::Impi, "late@ims.test").unwrap().is_some());
	assert_eq!(vault.unknown_pseudonym(Kind::Impu, "sip:nobody@ims.test"), unknown);
	// Neither copy of the header keeps the old key sealed under the new.
	assert_eq!(crate::vault::keyring::rotating_copies(&header), [false, false]);
}

#[test]
fn a_rotation_cut_short_is_finished_by_either_key() {
	for reopen_with in [key(), new_key()] {
		let dir = tempfile::tempdir().unwrap();
		let (path, _) = files(dir.path());
		{
			let vault = Vault::open(&path, &key()).unwrap();
			for n in 0..40 {
				vault
					.put(&named(
						&format!("s{n}"),
						&format!("u{n}@ims.test"),
						&format!("sip:u{n}@ims.test"),
					))
					.unwrap();
			}
			vault.keys.begin_rotation(&new_key()).unwrap();
			assert_eq!(vault.keys.rewrap(0, Some(1)).unwrap(), (16, 16));
			// The process dies here.
		}
		let vault = Vault::open(&path, &reopen_with).unwrap();
		assert!(!vault.keys.rotating());
		for n in 0..40 {
			assert!(vault.find(Kind::Impi, &format!("u{n}@ims.test")).unwrap().is_some());
		}
		drop(vault);
		assert!(matches!(Vault::open(&path, &key()), Err(VaultError::WrongKey)));
		assert!(Vault::open(&path, &new_key()).is_ok());
	}
}

#[test]
fn a_rotation_to_the_same_key_or_past_another_is_refused() {
	let dir = tempfile::tempdir().unwrap();
	let (path, _) = files(dir.path());
	let vault = Vault::open(&path, &key()).unwrap();
	vault.put(&alice()).unwrap();
	assert!(matches!(vault.rotate_key(&key()), Err(VaultError::SameKey)));
	vault.keys.begin_rotation(&new_key()).unwrap();
	let third = VaultKey::from_bytes([9; 32]);
	assert!(matches!(vault.rotate_key(&third), Err(VaultError::RotationUnderWay)));
	assert_eq!(vault.rotate_key(&new_key()).unwrap(), 1);
}

#[test]
fn a_key_reserved_for_a_record_never_committed_is_destroyed_at_open() {
	let dir = tempfile::tempdir().unwrap();
	let (path, keyring) = files(dir.path());
	let alice = alice();
	let committed = {
		let vault = Vault::open(&path, &key()).unwrap();
		let committed = vault.put(&alice).unwrap();
		// A put that reserved its key and died before its commit.
		let (slot, _) = vault.keys.allocate(&[[5; 32]]).unwrap().pop().unwrap();
		assert_eq!(slot, 1);
		assert_eq!(vault.keyring_usage(), (2, 2));
		committed
	};
	let vault = Vault::open(&path, &key()).unwrap();
	assert_eq!(vault.keyring_usage(), (1, 2));
	assert!(!contains(&std::fs::read(&keyring).unwrap(), &[5; 32]));
	assert_eq!(vault.get(&committed).unwrap(), Some(alice));
}

#[test]
fn an_erasure_cut_short_destroys_the_key_at_open() {
	let dir = tempfile::tempdir().unwrap();
	let (path, _) = files(dir.path());
	{
		let vault = Vault::open(&path, &key()).unwrap();
		let handle = vault.put(&alice()).unwrap();
		// The record is gone, the key not yet.
		assert_eq!(vault.remove_records(&[handle]).unwrap(), vec![0]);
		assert_eq!(vault.keyring_usage(), (1, 1));
	}
	let vault = Vault::open(&path, &key()).unwrap();
	assert_eq!(vault.keyring_usage(), (0, 1));
	assert_eq!(vault.keys.slot_bytes(0), vec![0u8; SLOT_SIZE]);
}

#[test]
fn a_vault_and_a_keyring_that_do_not_belong_together_are_refused() {
	let one = tempfile::tempdir().unwrap();
	let two = tempfile::tempdir().unwrap();
	let (path_one, keys_one) = files(one.path());
	let (path_two, keys_two) = files(two.path());
	Vault::open(&path_one, &key()).unwrap().put(&alice()).unwrap();
	Vault::open(&path_two, &key()).unwrap();
	std::fs::copy(&keys_one, &keys_two).unwrap();
	assert!(matches!(Vault::open(&path_two, &key()), Err(VaultError::KeyringMismatch { .. })));
	std::fs::remove_file(&keys_one).unwrap();
	assert!(matches!(Vault::open(&path_one, &key()), Err(VaultError::KeyringMismatch { .. })));
}

#[test]
fn a_damaged_header_copy_is_survived_and_two_are_not() {
	let dir = tempfile::tempdir().unwrap();
	let (path, keyring) = files(dir.path());
	let alice = alice();
	let handle = Vault::open(&path, &key()).unwrap().put(&alice).unwrap();
	let mut bytes = std::fs::read(&keyring).unwrap();
	bytes[40] ^= 1;
	std::fs::write(&keyring, &bytes).unwrap();
	assert_eq!(Vault::open(&path, &key()).unwrap().get(&handle).unwrap(), Some(alice));
	bytes[512 + 40] ^= 1;
	std::fs::write(&keyring, &bytes).unwrap();
	assert!(matches!(Vault::open(&path, &key()), Err(VaultError::KeyringCorrupt { .. })));
}

#[test]
fn a_vault_made_before_keyrings_moves_to_data_keys_and_keeps_its_look_ups() {
	let dir = tempfile::tempdir().unwrap();
	let (path, keyring) = files(dir.path());
	let reference = tempfile::tempdir().unwrap();
	// Look-up keys as the old vault made them: the index key is derived
	// from the vault key in both versions.
	let lookups = Vault::open(&reference.path().join("v.redb"), &key()).unwrap();
	let subscribers = [alice(), named("bob-subscription", "bob@ims.test", "sip:bob@ims.test")];
	write_version_1(&path, &key(), &subscribers, &lookups);
	assert!(matches!(Vault::open(&path, &new_key()), Err(VaultError::WrongKey)));
	assert!(!keyring.exists(), "a wrong key makes no keyring");
	let vault = Vault::open(&path, &key()).unwrap();
	for subscriber in &subscribers {
		let impi = &subscriber.impis[0].identity;
		assert_eq!(vault.find(Kind::Impi, impi).unwrap().as_ref(), Some(subscriber));
		assert!(slot_of(&vault, &subscriber.handle()) < 2);
	}
	assert_eq!(vault.keyring_usage(), (2, 2));
	let db = vault.db();
	let txn = db.begin_read().unwrap();
	assert!(txn.open_table(META).unwrap().get(KEY_CHECK).unwrap().is_none());
}

/// A vault file as the bridge wrote it before keyrings: records sealed
/// under a key derived from the vault key, and its check in `meta`.
fn write_version_1(
	path: &Path,
	key: &VaultKey,
	subscribers: &[crate::vault::Subscriber],
	lookups: &Vault,
) {
	let db = Database::create(path).unwrap();
	let seal = FileSeal::new(&key.derive(ENCRYPTION_LABEL));
	let txn = db.begin_write().unwrap();
	{
		let mut meta = txn.open_table(META).unwrap();
		let check = seal.seal(b"meta", KEY_CHECK.as_bytes(), KEY_CHECK_PLAINTEXT).unwrap();
		meta.insert(KEY_CHECK, check.as_slice()).unwrap();
		let mut records = txn.open_table(SUBSCRIBERS).unwrap();
		let mut lookup = txn.open_table(LOOKUP).unwrap();
		for subscriber in subscribers {
			let handle = subscriber.handle();
			let sealed = seal.seal(b"subscribers", &handle, &subscriber.encode()).unwrap();
			records.insert(handle.as_slice(), sealed.as_slice()).unwrap();
			for (kind, name) in subscriber.lookup_names() {
				lookup
					.insert(lookups.lookup_key(kind, name).as_slice(), handle.as_slice())
					.unwrap();
			}
		}
	}
	txn.commit().unwrap();
}
