//! The vault against real redb files: sealing, look-ups, the read cache,
//! SQN reservations and erasure.

use super::cache::CACHED_LOOKUPS_PER_SUBSCRIBER;
use super::*;
use crate::auth::{SQN_MAX, SQN_STEP};
use codec::Decode;
use std::sync::atomic::Ordering;

mod keyring;

pub(super) fn key() -> VaultKey {
	VaultKey::from_bytes([42; 32])
}

pub(super) fn alice() -> Subscriber {
	let mut s = Subscriber::new("alice-subscription");
	s.impis.push(PrivateIdentity {
		identity: "alice@ims.test".into(),
		aka: Some(AkaSecret { k: [1; 16], opc: [2; 16], amf: [0x80, 0], sqn: 0 }),
		digest: Some(DigestSecret {
			realm: "ims.test".into(),
			ha1: crate::auth::digest_ha1("alice@ims.test", "ims.test", "secret"),
			password: None,
		}),
	});
	s.impus.push("sip:alice@ims.test".into());
	s.impus.push("tel:+15550100".into());
	s
}

/// The directory's view of a subscriber, for comparisons.
fn names(directory: &Directory) -> (Vec<String>, Vec<String>) {
	let names = |list: &[(String, [u8; 32])]| list.iter().map(|(n, _)| n.clone()).collect();
	(names(&directory.impis), names(&directory.impus))
}

#[test]
fn a_directory_has_every_identity_with_its_pseudonym_and_no_secret() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let alice = alice();
	let handle = vault.put(&alice).unwrap();
	for (kind, identity) in [
		(Kind::Impi, "alice@ims.test"),
		(Kind::Impu, "sip:alice@ims.test"),
		(Kind::Impu, "tel:+15550100"),
	] {
		let directory = vault.directory_of(kind, identity).unwrap().unwrap();
		assert_eq!(directory.handle, handle);
		assert_eq!(directory.pseudonym(kind, identity), Some(alice.pseudonym(kind, identity)));
		// An IMPI is not an IMPU of the subscription, nor the reverse.
		let other = if kind == Kind::Impi { Kind::Impu } else { Kind::Impi };
		assert_eq!(directory.pseudonym(other, identity), None);
		assert_eq!(directory.pseudonym(Kind::Subscription, identity), None);
	}
	let directory = vault.directory_of(Kind::Impu, "tel:+15550100").unwrap().unwrap();
	assert_eq!(
		names(&directory),
		(vec!["alice@ims.test".into()], vec!["sip:alice@ims.test".into(), "tel:+15550100".into()])
	);
	let tel = alice.pseudonym(Kind::Impu, "tel:+15550100");
	assert_eq!(directory.impu_named(&tel), Some("tel:+15550100"));
	assert_eq!(directory.impu_named(&[0; 32]), None);
	// Its debug form shows no identity.
	assert_eq!(format!("{directory:?}"), "Directory(<personal data>)");
	assert!(vault.directory_of(Kind::Impu, "sip:nobody@ims.test").unwrap().is_none());
}

#[test]
fn a_subscriber_is_stored_and_found_by_each_identity() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let alice = alice();
	let handle = vault.put(&alice).unwrap();
	assert_eq!(handle, alice.handle());
	assert_eq!(vault.get(&handle).unwrap().as_ref(), Some(&alice));
	assert_eq!(vault.find(Kind::Impi, "alice@ims.test").unwrap().as_ref(), Some(&alice));
	assert_eq!(vault.find(Kind::Impu, "tel:+15550100").unwrap().as_ref(), Some(&alice));
	assert_eq!(vault.find(Kind::Impu, "sip:bob@ims.test").unwrap(), None);
	// An IMPI name is not an IMPU.
	assert_eq!(vault.find(Kind::Impu, "alice@ims.test").unwrap(), None);
}

#[test]
fn nothing_is_stored_in_clear() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("vault.redb");
	{
		let vault = Vault::open(&path, &key()).unwrap();
		vault.put(&alice()).unwrap();
	}
	let bytes = std::fs::read(&path).unwrap();
	let ha1 = crate::auth::digest_ha1("alice@ims.test", "ims.test", "secret");
	for needle in [&b"alice"[..], b"ims.test", b"15550100", ha1.as_bytes(), &[1u8; 16]] {
		assert!(
			!bytes.windows(needle.len()).any(|w| w == needle),
			"{:?} found in the vault file",
			String::from_utf8_lossy(needle)
		);
	}
}

#[test]
fn records_survive_a_reopen_and_need_the_same_key() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("vault.redb");
	let alice = alice();
	let handle = Vault::open(&path, &key()).unwrap().put(&alice).unwrap();
	let vault = Vault::open(&path, &key()).unwrap();
	assert_eq!(vault.get(&handle).unwrap(), Some(alice));
	drop(vault);
	let wrong = VaultKey::from_bytes([43; 32]);
	assert!(matches!(Vault::open(&path, &wrong), Err(VaultError::WrongKey)));
}

#[test]
fn identities_cannot_belong_to_two_subscriptions() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	vault.put(&alice()).unwrap();
	let mut other = Subscriber::new("other");
	other.impus.push("tel:+15550100".into());
	let err = vault.put(&other).unwrap_err();
	assert!(matches!(err, VaultError::IdentityTaken(ref i) if i == "tel:+15550100"));
	assert_eq!(vault.get(&other.handle()).unwrap(), None, "nothing was written");
}

#[test]
fn replacing_a_subscriber_drops_identities_it_no_longer_has() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let mut alice = alice();
	vault.put(&alice).unwrap();
	alice.impus.retain(|u| u.starts_with("sip:"));
	vault.put(&alice).unwrap();
	assert_eq!(vault.find(Kind::Impu, "tel:+15550100").unwrap(), None);
	assert!(vault.find(Kind::Impu, "sip:alice@ims.test").unwrap().is_some());
}

#[test]
fn erasure_destroys_the_entry() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("vault.redb");
	let vault = Vault::open(&path, &key()).unwrap();
	let handle = vault.put(&alice()).unwrap();
	assert!(vault.erase(&handle).unwrap());
	assert!(!vault.erase(&handle).unwrap());
	assert_eq!(vault.get(&handle).unwrap(), None);
	assert_eq!(vault.find(Kind::Impi, "alice@ims.test").unwrap(), None);
	assert_eq!(vault.next_aka("alice@ims.test").unwrap().map(|(_, s)| s), None);
	// The identities are free again.
	vault.put(&alice()).unwrap();
}

#[test]
fn sqns_increase_and_are_never_reused_across_restarts() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("vault.redb");
	let mut seen = Vec::new();
	for _restart in 0..3 {
		let vault = Vault::open(&path, &key()).unwrap();
		if seen.is_empty() {
			vault.put(&alice()).unwrap();
		}
		for _ in 0..100 {
			let (keys, sqn) = vault.next_aka("alice@ims.test").unwrap().unwrap();
			assert_eq!(keys.k, [1; 16]);
			seen.push(sqn);
		}
		// Simulated crash: the vault is dropped with part of a
		// reservation unused.
	}
	assert!(seen.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
	assert!(seen.iter().all(|s| s % SQN_STEP == 0));
	assert_eq!(seen[0], SQN_STEP);
	// The persisted high-water mark covers every SQN handed out.
	let vault = Vault::open(&path, &key()).unwrap();
	let stored = vault.find(Kind::Impi, "alice@ims.test").unwrap().unwrap();
	let hwm = stored.impis[0].aka.as_ref().unwrap().sqn;
	assert!(hwm >= *seen.last().unwrap());
}

#[test]
fn a_reservation_never_outlives_the_keys_it_was_made_with() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	vault.put(&alice()).unwrap();
	let (_, first) = vault.next_aka("alice@ims.test").unwrap().unwrap();
	// New keys: the next vector uses them, past every SQN handed out.
	let stored = vault.find(Kind::Impi, "alice@ims.test").unwrap().unwrap();
	let mut rekeyed = stored.clone();
	let aka = rekeyed.impis[0].aka.as_mut().unwrap();
	(aka.k, aka.sqn) = ([9; 16], SQN_STEP * SQN_BLOCK);
	vault.put(&rekeyed).unwrap();
	let (keys, sqn) = vault.next_aka("alice@ims.test").unwrap().unwrap();
	assert_eq!(keys.k, [9; 16]);
	assert!(sqn > first);
	// The subscription replaced without that IMPI: no vector from the
	// old reservation.
	let mut without = stored;
	without.impis[0].identity = "other@ims.test".into();
	vault.put(&without).unwrap();
	assert!(vault.next_aka("alice@ims.test").unwrap().is_none());
}

#[test]
fn resync_moves_sqn_forward_only() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	vault.put(&alice()).unwrap();
	let (_, first) = vault.next_aka("alice@ims.test").unwrap().unwrap();
	// The USIM reports it has seen a much later SQN.
	assert!(vault.resync("alice@ims.test", 1_000_000).unwrap());
	let (_, after) = vault.next_aka("alice@ims.test").unwrap().unwrap();
	assert_eq!(after, 1_000_000 + SQN_STEP);
	// A stale resync never moves it back below what was reserved.
	assert!(vault.resync("alice@ims.test", first).unwrap());
	let (_, later) = vault.next_aka("alice@ims.test").unwrap().unwrap();
	assert!(later > after);
	assert!(!vault.resync("nobody@ims.test", 5).unwrap());
}

#[test]
fn an_exhausted_sqn_space_is_an_error() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let mut alice = alice();
	alice.impis[0].aka.as_mut().unwrap().sqn = SQN_MAX;
	vault.put(&alice).unwrap();
	assert!(matches!(vault.next_aka("alice@ims.test"), Err(VaultError::SqnExhausted)));
}

#[test]
fn an_impi_without_aka_keys_gets_no_vector() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let mut alice = alice();
	alice.impis[0].aka = None;
	vault.put(&alice).unwrap();
	assert!(matches!(vault.next_aka("alice@ims.test"), Err(VaultError::NoAkaKeys)));
}

#[test]
fn tampered_records_are_detected() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("vault.redb");
	let vault = Vault::open(&path, &key()).unwrap();
	let handle = vault.put(&alice()).unwrap();
	let bob =
		Subscriber { subscription: "bob".into(), impis: vec![], impus: vec![], salt: [3; 32] };
	let bob_handle = vault.put(&bob).unwrap();
	// Copy bob's sealed record over alice's: the AAD binds it to its key.
	tamper(&vault, &bob_handle, &handle);
	assert!(refused(vault.get(&handle)));
}

/// Whether a read of a record moved under another handle was refused:
/// the record names its own subscription's data key, which the keyring
/// gives to that subscription only (and the handle is sealed with it).
fn refused<T>(read: Result<T, VaultError>) -> bool {
	matches!(read, Err(VaultError::KeyDestroyed | VaultError::Corrupt))
}

/// Copies `from`'s sealed record over `to`'s in the file, behind the
/// vault's back: a read of `to` from the file is then refused.
fn tamper(vault: &Vault, from: &[u8; 32], to: &[u8; 32]) {
	let db = vault.db();
	let txn = db.begin_write().unwrap();
	{
		let mut t = txn.open_table(SUBSCRIBERS).unwrap();
		let sealed = t.get(from.as_slice()).unwrap().unwrap().value().to_vec();
		t.insert(to.as_slice(), sealed.as_slice()).unwrap();
	}
	txn.commit().unwrap();
}

#[test]
fn cached_subscribers_are_read_without_the_file() {
	let dir = tempfile::tempdir().unwrap();
	for (cache, served_from_memory) in [(DEFAULT_CACHE_SUBSCRIBERS, true), (0, false)] {
		let vault =
			Vault::open_with_cache(&dir.path().join(format!("vault-{cache}.redb")), &key(), cache)
				.unwrap();
		let alice = alice();
		let handle = vault.put(&alice).unwrap();
		let bob = Subscriber::new("bob");
		let bob_handle = vault.put(&bob).unwrap();
		// The second miss of a subscription brings it into the cache.
		for _ in 0..2 {
			let found = vault.find(Kind::Impu, "tel:+15550100").unwrap();
			assert_eq!(found.as_ref(), Some(&alice));
		}
		// The file changes behind the vault's back: a cached record is
		// still answered from memory (and still opened with its own
		// table and key); without a cache the read goes to the file.
		tamper(&vault, &bob_handle, &handle);
		let read = vault.find(Kind::Impu, "tel:+15550100");
		if served_from_memory {
			assert_eq!(read.unwrap().as_ref(), Some(&alice), "cache {cache}");
			assert_eq!(vault.get(&handle).unwrap().as_ref(), Some(&alice));
			let directory = vault.directory_of(Kind::Impu, "tel:+15550100").unwrap().unwrap();
			assert_eq!(directory.handle, handle);
			// Another identity of the subscription: looked up in the file
			// with its record, which no longer opens.
			let other = vault.find(Kind::Impu, "sip:alice@ims.test");
			assert!(refused(other), "cache {cache}");
		} else {
			assert!(refused(read), "cache {cache}");
			let directory = vault.directory_of(Kind::Impu, "tel:+15550100");
			assert!(refused(directory), "cache {cache}");
		}
	}
}

#[test]
fn the_cache_keeps_records_sealed_under_its_own_key_and_nonces() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let alice = alice();
	let handle = vault.put(&alice).unwrap();
	let bob_handle = vault.put(&Subscriber::new("bob")).unwrap();
	for _ in 0..2 {
		assert_eq!(vault.get(&handle).unwrap().as_ref(), Some(&alice));
		assert!(vault.get(&bob_handle).unwrap().is_some());
	}
	let kept = vault.cache().unwrap().records.get(&handle).unwrap().clone();
	let file = {
		let db = vault.db();
		let txn = db.begin_read().unwrap();
		let table = txn.open_table(SUBSCRIBERS).unwrap();
		table.get(handle.as_slice()).unwrap().unwrap().value().to_vec()
	};
	// Not the file's bytes, and nothing of the record in clear.
	assert_ne!(&kept[..], &file[..]);
	let ha1 = crate::auth::digest_ha1("alice@ims.test", "ims.test", "secret");
	for needle in [&b"alice"[..], b"15550100", ha1.as_bytes(), &[1u8; 16]] {
		assert!(!kept.windows(needle.len()).any(|w| w == needle));
	}
	// Each seal takes the next nonce: the same record sealed twice
	// differs.
	let plain = vault.cache_seal.open(&handle, &kept).unwrap();
	let again = vault.cache_seal.seal(&handle, &plain).unwrap();
	assert_ne!(again[..12], kept[..12]);
	assert_ne!(again[12..], kept[12..]);
	// The handle is authenticated: alice's entry under bob's handle is
	// refused, as is a flipped byte.
	vault.cache().unwrap().records.insert(bob_handle, kept.clone());
	assert!(matches!(vault.get(&bob_handle), Err(VaultError::Corrupt)));
	let mut flipped = kept.to_vec();
	*flipped.last_mut().unwrap() ^= 1;
	vault.cache().unwrap().records.insert(handle, flipped.into());
	assert!(matches!(vault.get(&handle), Err(VaultError::Corrupt)));
	// No nonce left: nothing more is sealed, and reads go on.
	vault.cache_seal.sealed.store(u64::MAX, Ordering::Relaxed);
	assert!(vault.cache_seal.seal(&handle, &plain).is_none());
	vault.put(&alice).unwrap();
	assert_eq!(vault.get(&handle).unwrap().as_ref(), Some(&alice));
	assert!(vault.cache().unwrap().records.get(&handle).is_none());
}

#[test]
fn writes_are_seen_by_the_next_read_of_a_cached_subscriber() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let mut alice = alice();
	let handle = vault.put(&alice).unwrap();
	for (kind, identity) in [
		(Kind::Impi, "alice@ims.test"),
		(Kind::Impu, "sip:alice@ims.test"),
		(Kind::Impu, "tel:+15550100"),
	] {
		assert_eq!(vault.find(kind, identity).unwrap().as_ref(), Some(&alice));
		vault.directory_of(kind, identity).unwrap().unwrap();
	}
	// Replaced: a new HA1, one IMPU fewer, one more.
	alice.impis[0].digest.as_mut().unwrap().ha1 = "0".repeat(32);
	alice.impus.retain(|u| u.starts_with("sip:"));
	alice.impus.push("sip:alice2@ims.test".into());
	vault.put(&alice).unwrap();
	assert_eq!(vault.find(Kind::Impi, "alice@ims.test").unwrap().as_ref(), Some(&alice));
	assert_eq!(vault.find(Kind::Impu, "tel:+15550100").unwrap(), None);
	assert_eq!(vault.find(Kind::Impu, "sip:alice2@ims.test").unwrap().as_ref(), Some(&alice));
	assert!(vault.directory_of(Kind::Impu, "tel:+15550100").unwrap().is_none());
	let directory = vault.directory_of(Kind::Impi, "alice@ims.test").unwrap().unwrap();
	assert_eq!(
		names(&directory),
		(
			vec!["alice@ims.test".into()],
			vec!["sip:alice@ims.test".into(), "sip:alice2@ims.test".into()]
		)
	);
	// An SQN reservation rewrites the record: the next read has it.
	let (_, sqn) = vault.next_aka("alice@ims.test").unwrap().unwrap();
	let stored = vault.get(&handle).unwrap().unwrap();
	assert!(stored.impis[0].aka.as_ref().unwrap().sqn >= sqn);
	assert!(vault.resync("alice@ims.test", 1 << 40).unwrap());
	let stored = vault.find(Kind::Impi, "alice@ims.test").unwrap().unwrap();
	assert_eq!(stored.impis[0].aka.as_ref().unwrap().sqn, 1 << 40);
	// Erased: gone from memory too, and the identities are free.
	assert!(vault.erase(&handle).unwrap());
	assert_eq!(vault.get(&handle).unwrap(), None);
	assert_eq!(vault.find(Kind::Impu, "sip:alice@ims.test").unwrap(), None);
	assert!(vault.directory_of(Kind::Impu, "sip:alice@ims.test").unwrap().is_none());
	assert_eq!(vault.handle_of(Kind::Impi, "alice@ims.test").unwrap(), None);
	let mut other = Subscriber::new("other");
	other.impus.push("sip:alice@ims.test".into());
	vault.put(&other).unwrap();
	assert_eq!(vault.find(Kind::Impu, "sip:alice@ims.test").unwrap().as_ref(), Some(&other));
	let directory = vault.directory_of(Kind::Impu, "sip:alice@ims.test").unwrap().unwrap();
	assert_eq!(directory.handle, other.handle());
}

#[test]
fn a_subscription_read_once_leaves_the_cache_as_it_was() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open_with_cache(&dir.path().join("vault.redb"), &key(), 2).unwrap();
	let subscribers: Vec<Subscriber> = (0..12)
		.map(|i| named(&format!("s{i}"), &format!("s{i}@ims.test"), &format!("sip:s{i}@ims.test")))
		.collect();
	vault.put_new(&subscribers, 1).unwrap();
	let cached = |vault: &Vault| {
		let mut cache = vault.cache().unwrap();
		let held: Vec<usize> =
			(0..12).filter(|i| cache.records.get(&subscribers[*i].handle()).is_some()).collect();
		(held, cache.directories.len(), cache.handles.len())
	};
	// Read once: not kept. Read again: kept, with the look-up it was
	// found by.
	assert!(vault.find(Kind::Impi, "s0@ims.test").unwrap().is_some());
	assert_eq!(cached(&vault), (vec![], 0, 0));
	assert!(vault.find(Kind::Impi, "s0@ims.test").unwrap().is_some());
	assert!(vault.directory_of(Kind::Impu, "sip:s1@ims.test").unwrap().is_some());
	assert!(vault.get(&subscribers[1].handle()).unwrap().is_some());
	assert_eq!(cached(&vault), (vec![0, 1], 2, 1));
	// The rest of the base, each read once, as a scan or a random load
	// would: what was kept stays, and is served without the file.
	for i in 2..12 {
		assert!(vault.find(Kind::Impu, &format!("sip:s{i}@ims.test")).unwrap().is_some());
	}
	assert_eq!(cached(&vault), (vec![0, 1], 2, 1));
	let found = vault.find_with_directory(Kind::Impi, "s0@ims.test").unwrap().unwrap();
	assert_eq!(found.1, subscribers[0]);
	assert_eq!(found.0.handle, subscribers[0].handle());
}

#[test]
fn the_cache_keeps_at_most_its_size() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open_with_cache(&dir.path().join("vault.redb"), &key(), 2).unwrap();
	let subscribers: Vec<Subscriber> = (0..12)
		.map(|i| {
			let mut s = Subscriber::new(format!("s{i}"));
			s.impus.push(format!("sip:s{i}@ims.test"));
			s
		})
		.collect();
	for s in &subscribers {
		vault.put(s).unwrap();
	}
	for _ in 0..2 {
		for (i, s) in subscribers.iter().enumerate() {
			let found = vault.find(Kind::Impu, &format!("sip:s{i}@ims.test")).unwrap();
			assert_eq!(found.as_ref(), Some(s));
			let directory = vault.directory_of(Kind::Impu, &format!("sip:s{i}@ims.test")).unwrap();
			assert_eq!(directory.map(|d| d.handle), Some(s.handle()));
		}
	}
	let cache = vault.cache().unwrap();
	assert_eq!(cache.records.len(), 2);
	assert_eq!(cache.directories.len(), 2);
	assert_eq!(cache.handles.len(), 2 * CACHED_LOOKUPS_PER_SUBSCRIBER as usize);
}

#[test]
fn a_read_that_raced_a_write_keeps_nothing_of_what_it_read() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let mut alice = alice();
	let handle = vault.put(&alice).unwrap();
	let key = vault.lookup_key(Kind::Impu, "tel:+15550100");
	// A read misses the cache and reads the file...
	let generation = vault.cache().map(|c| c.generation);
	let old = {
		let db = vault.db();
		let txn = db.begin_read().unwrap();
		let table = txn.open_table(SUBSCRIBERS).unwrap();
		let sealed = table.get(handle.as_slice()).unwrap().unwrap();
		vault.open_record(&handle, sealed.value()).unwrap()
	};
	// ... while a write commits a new record and drops an identity ...
	alice.impis[0].digest.as_mut().unwrap().ha1 = "0".repeat(32);
	alice.impus.retain(|u| u.starts_with("sip:"));
	vault.put(&alice).unwrap();
	// ... then the read tries to keep what it found: it is refused.
	let old_directory = Arc::new(Directory::of(&Subscriber::decode(&mut old.as_slice()).unwrap()));
	let old = vault.cache_seal.seal(&handle, &old).unwrap();
	vault.remember(generation, |cache| cache.records.insert(handle, old));
	vault.remember(generation, |cache| cache.handles.insert(key, handle));
	vault.remember(generation, |cache| cache.directories.insert(handle, old_directory));
	assert_eq!(vault.get(&handle).unwrap().as_ref(), Some(&alice));
	assert_eq!(vault.find(Kind::Impu, "tel:+15550100").unwrap(), None);
	assert!(vault.directory_of(Kind::Impu, "tel:+15550100").unwrap().is_none());
	let directory = vault.directory_of(Kind::Impu, "sip:alice@ims.test").unwrap().unwrap();
	assert_eq!(names(&directory).1, vec!["sip:alice@ims.test".to_string()]);
	// A read that began after the write keeps what it found.
	let generation = vault.cache().map(|c| c.generation);
	vault.remember(generation, |cache| cache.handles.insert([9; 32], handle));
	assert!(vault.cache().unwrap().handles.get(&[9; 32]).is_some());
}

#[test]
fn reads_racing_writes_never_keep_an_old_record() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Arc::new(Vault::open(&dir.path().join("vault.redb"), &key()).unwrap());
	let mut alice = alice();
	vault.put(&alice).unwrap();
	let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
	let readers: Vec<_> = (0..2)
		.map(|_| {
			let (vault, stop) = (vault.clone(), stop.clone());
			std::thread::spawn(move || {
				while !stop.load(Ordering::Relaxed) {
					vault.find(Kind::Impu, "sip:alice@ims.test").unwrap().unwrap();
					vault.directory_of(Kind::Impi, "alice@ims.test").unwrap().unwrap();
				}
			})
		})
		.collect();
	for round in 0..200 {
		alice.impis[0].digest.as_mut().unwrap().ha1 = format!("{round:032}");
		// Every round another second IMPU, which the directory shows.
		alice.impus.truncate(1);
		alice.impus.push(format!("sip:alice-{round}@ims.test"));
		vault.put(&alice).unwrap();
		// Right after each write, and whatever the readers did
		// meanwhile, the write is what every read sees.
		let read = vault.find(Kind::Impu, "sip:alice@ims.test").unwrap().unwrap();
		assert_eq!(read.impis[0].digest.as_ref().unwrap().ha1, format!("{round:032}"));
		let directory = vault.directory_of(Kind::Impi, "alice@ims.test").unwrap().unwrap();
		assert_eq!(names(&directory).1[1], format!("sip:alice-{round}@ims.test"));
	}
	stop.store(true, Ordering::Relaxed);
	for reader in readers {
		reader.join().unwrap();
	}
	let read = vault.find(Kind::Impu, "sip:alice@ims.test").unwrap().unwrap();
	assert_eq!(read, alice);
}

#[test]
fn keys_load_from_hex_or_raw_files_with_safe_permissions() {
	let dir = tempfile::tempdir().unwrap();
	let hex_path = dir.path().join("key.hex");
	std::fs::write(&hex_path, format!("{}\n", "ab".repeat(32))).unwrap();
	let raw_path = dir.path().join("key.bin");
	std::fs::write(&raw_path, [0xab; 32]).unwrap();
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		for p in [&hex_path, &raw_path] {
			std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
		}
	}
	assert_eq!(VaultKey::from_file(&hex_path).unwrap().0, [0xab; 32]);
	assert_eq!(VaultKey::from_file(&raw_path).unwrap().0, [0xab; 32]);
	assert!(matches!(VaultKey::from_hex("abcd"), Err(VaultError::KeyFormat)));
	assert!(matches!(VaultKey::from_hex(&"zz".repeat(32)), Err(VaultError::KeyFormat)));
	assert!(matches!(
		VaultKey::from_file(&dir.path().join("missing")),
		Err(VaultError::KeyFile { .. })
	));
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&hex_path, std::fs::Permissions::from_mode(0o644)).unwrap();
		let refused = VaultKey::from_file(&hex_path);
		assert!(matches!(refused, Err(VaultError::KeyFileMode { mode: 0o644, .. })));
	}
	assert_eq!(format!("{:?}", key()), "VaultKey(<secret>)");
	assert_eq!(format!("{:?}", alice()), "Subscriber(<personal data>)");
}

pub(super) fn named(subscription: &str, impi: &str, impu: &str) -> Subscriber {
	let mut s = Subscriber::new(subscription);
	s.impis.push(PrivateIdentity { identity: impi.into(), aka: None, digest: None });
	s.impus.push(impu.into());
	s
}

#[test]
fn a_batch_is_written_whole_and_marked_pending_or_not_at_all() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let (a, b) =
		(named("a", "a@ims.test", "sip:a@ims.test"), named("b", "b@ims.test", "sip:b@ims.test"));
	let handles = vault.put_new(&[a.clone(), b.clone()], 7).unwrap();
	assert_eq!(handles, vec![a.handle(), b.handle()]);
	assert_eq!(vault.find(Kind::Impu, "sip:b@ims.test").unwrap().unwrap().handle(), b.handle());
	let mut pending = vault.pending().unwrap();
	pending.sort();
	let mut expected = vec![(a.handle(), 7), (b.handle(), 7)];
	expected.sort();
	assert_eq!(pending, expected);
	assert!(vault.is_pending(&a.handle()).unwrap());
	// One identity already held: nothing of the batch is written.
	let c = named("c", "c@ims.test", "sip:c@ims.test");
	let clash = named("d", "d@ims.test", "sip:a@ims.test");
	let err = vault.put_new(&[c.clone(), clash], 8).unwrap_err();
	assert!(
		matches!(err, VaultError::IdentityTaken(ref name) if name == "sip:a@ims.test"),
		"{err}"
	);
	assert!(vault.find(Kind::Impi, "c@ims.test").unwrap().is_none());
	assert!(!vault.is_pending(&c.handle()).unwrap());
	// Nor a subscription written twice (same salt, same handle).
	let err = vault.put_new(std::slice::from_ref(&a), 9).unwrap_err();
	assert!(matches!(err, VaultError::IdentityTaken(_)), "{err}");
	// Two subscribers of the same batch sharing an identity.
	let twins =
		[named("e", "e@ims.test", "sip:e@ims.test"), named("f", "f@ims.test", "sip:e@ims.test")];
	assert!(matches!(vault.put_new(&twins, 9), Err(VaultError::IdentityTaken(_))));
	assert!(vault.find(Kind::Impi, "e@ims.test").unwrap().is_none());
}

#[test]
fn marks_are_moved_settled_and_survive_a_reopen() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("vault.redb");
	let (a, b) =
		(named("a", "a@ims.test", "sip:a@ims.test"), named("b", "b@ims.test", "sip:b@ims.test"));
	{
		let vault = Vault::open(&path, &key()).unwrap();
		vault.put_new(&[a.clone(), b.clone()], 3).unwrap();
		vault.mark_pending(&[b.handle()], 40).unwrap();
		vault.settle(&[a.handle()]).unwrap();
	}
	let vault = Vault::open(&path, &key()).unwrap();
	assert_eq!(vault.pending().unwrap(), vec![(b.handle(), 40)]);
	// Settling keeps the entry; only the mark goes.
	vault.settle(&[b.handle()]).unwrap();
	assert!(vault.pending().unwrap().is_empty());
	assert!(vault.get(&b.handle()).unwrap().is_some());
}

#[test]
fn erasing_in_bulk_destroys_entries_and_their_marks() {
	let dir = tempfile::tempdir().unwrap();
	let vault = Vault::open(&dir.path().join("vault.redb"), &key()).unwrap();
	let (a, b) =
		(named("a", "a@ims.test", "sip:a@ims.test"), named("b", "b@ims.test", "sip:b@ims.test"));
	vault.put_new(&[a.clone(), b.clone()], 3).unwrap();
	// Read once, so the cache holds them.
	assert!(vault.find(Kind::Impi, "a@ims.test").unwrap().is_some());
	let unknown = [9u8; 32];
	assert_eq!(vault.erase_all(&[a.handle(), unknown, b.handle()]).unwrap(), 2);
	for identity in ["a@ims.test", "b@ims.test"] {
		assert!(vault.find(Kind::Impi, identity).unwrap().is_none(), "{identity}");
	}
	assert!(vault.get(&a.handle()).unwrap().is_none());
	assert!(vault.pending().unwrap().is_empty());
	// The identities are free again.
	vault.put_new(&[named("a2", "a@ims.test", "sip:a@ims.test")], 4).unwrap();
	assert_eq!(vault.erase_all(&[]).unwrap(), 0);
}
