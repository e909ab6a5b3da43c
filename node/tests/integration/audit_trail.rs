//! The audit trail end to end on a real `ims-node --dev`: an HSS front's
//! signed batch and a provisioning change become finalized records, listed
//! per subscriber by `imsAudit_records` from the node's offchain index; a
//! record's `imsAudit_proof` verifies against the commitment of a finalized
//! block, and a tampered one does not; a replayed batch is not recorded
//! twice; bad requests get JSON-RPC errors. On a node serving safe methods
//! only, a reader signs `imsAudit_signedRecords` and needs the realm's
//! `ReadAudit`.

use std::time::{Duration, Instant};

use crate::common::{genesis_hash, hex, signed, submit_and_wait, unhex, Node};
use codec::{Decode, Encode};
use ims_primitives::{
	audit::{
		Activity, Actor, BatchCommitment, Entry, FrontRecord, Peer, ProofError, RecordProof, Source,
	},
	AuthScheme, Change, Subject,
};
use ims_runtime::{AccountId, BlockNumber, Runtime, RuntimeCall, RuntimeEvent};
use serde_json::{json, Value};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::DispatchError;

fn records(node: &Node, realm: u32, subject: H256) -> Value {
	node.rpc("imsAudit_records", json!([realm, subject, 0, 100])).unwrap()
}

/// Polls until `subject` has `count` records listed in `realm`.
fn wait_for_records(node: &Node, realm: u32, subject: H256, count: u64) -> Value {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		let page = records(node, realm, subject);
		if page["total"].as_u64() == Some(count) {
			return page;
		}
		assert!(Instant::now() < deadline, "{subject:?} never had {count} records: {page}");
		std::thread::sleep(Duration::from_millis(250));
	}
}

fn bytes(value: &Value) -> Vec<u8> {
	unhex(value.as_str().expect("hex bytes"))
}

/// A front's record, at a whole minute in the past as fronts record.
fn front_record(
	subject: Subject<AccountId>,
	activity: Activity,
	result: u32,
) -> FrontRecord<AccountId> {
	FrontRecord {
		subject,
		peer: Peer::Diameter(b"scscf.ims.example.net".to_vec().try_into().unwrap()),
		activity,
		result,
		at_ms: 1_762_999_980_000,
	}
}

/// The commitment a finalized block holds for the batch, read through the
/// runtime API.
fn commitment(node: &Node, realm: u32, batch: u64) -> Option<BatchCommitment<BlockNumber>> {
	let finalized = node.rpc("chain_getFinalizedHead", json!([])).unwrap();
	let answer = node
		.rpc("state_call", json!(["AuditApi_batch", hex(&(realm, batch).encode()), finalized]))
		.unwrap();
	Decode::decode(&mut &bytes(&answer)[..]).unwrap()
}

/// Alice's `audit.submit` in realm 0 at `nonce`.
fn submit(
	records: &[FrontRecord<AccountId>],
	first_sequence: u64,
	nonce: u32,
	genesis: H256,
) -> Vec<u8> {
	let call = RuntimeCall::Audit(pallet_ims_audit::Call::submit {
		realm: 0,
		first_sequence,
		records: records.to_vec().try_into().unwrap(),
	});
	signed(Sr25519Keyring::Alice, call, nonce, genesis)
}

#[test]
fn records_are_listed_per_subscriber_and_proven_against_the_chain() {
	// Given a development node, where Alice is realm 0's owner and HSS front,
	// and a subscription she provisions,
	let mut node = Node::start(&["--dev"]);
	node.wait_for_rpc(Duration::from_secs(60));
	let genesis = genesis_hash(&node);
	let alice = Sr25519Keyring::Alice;
	let (subscription, unknown) = (H256::repeat_byte(0x73), H256::repeat_byte(0x72));
	let create = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
		realm: 0,
		subscription,
	});
	node.rpc("author_submitExtrinsic", json!([hex(&signed(alice, create, 0, genesis))])).unwrap();
	// (the provisioning change is the subscription's first record, by Alice)
	let page = wait_for_records(&node, 0, subscription, 1);
	let entry = Entry::<AccountId>::decode(&mut &bytes(&page["records"][0]["entry"])[..]).unwrap();
	assert_eq!(entry.actor, Actor::Account(alice.to_account_id()));
	assert_eq!(entry.activity, Activity::Change(Change::Created));
	assert_eq!(entry.subject, Subject::Subscription(subscription));

	// when she submits a batch of three records, two about the subscription
	// and one about an identity the realm does not hold,
	let batch = vec![
		front_record(
			Subject::Subscription(subscription),
			Activity::AuthenticationChallenge(AuthScheme::SipDigest),
			2001,
		),
		front_record(Subject::Unknown(unknown), Activity::LocationQuery, 5001),
		front_record(Subject::Subscription(subscription), Activity::Registration, 2001),
	];
	node.rpc("author_submitExtrinsic", json!([hex(&submit(&batch, 0, 1, genesis))])).unwrap();

	// then, once finalized, the subscription's two front records follow
	// with their sequence numbers,
	let page = wait_for_records(&node, 0, subscription, 3);
	let listed = &page["records"].as_array().unwrap()[1..];
	for (record, (position, expected)) in listed.iter().zip([(0u32, &batch[0]), (2, &batch[2])]) {
		assert_eq!(record["realm"], 0);
		assert_eq!(record["position"], position);
		assert_eq!(record["sequence"], u64::from(position));
		let entry = Entry::<AccountId>::decode(&mut &bytes(&record["entry"])[..]).unwrap();
		assert_eq!(entry, expected.clone().into_entry());
		let source = Source::<AccountId>::decode(&mut &bytes(&record["source"])[..]).unwrap();
		assert_eq!(source, Source::Front { submitter: alice.to_account_id(), first_sequence: 0 });
	}
	// and the unknown identity's under its pseudonym in the realm.
	assert_eq!(wait_for_records(&node, 0, unknown, 1)["records"][0]["position"], 1);
	assert_eq!(records(&node, 1, unknown)["total"], 0);

	// A record's proof verifies against the finalized commitment,
	let (realm, index) = (0, listed[1]["batch"].as_u64().unwrap());
	let proof = node.rpc("imsAudit_proof", json!([realm, index, 2])).unwrap();
	let proof =
		RecordProof::<AccountId, BlockNumber>::decode(&mut &bytes(&proof["proof"])[..]).unwrap();
	let on_chain = commitment(&node, realm, index).expect("the batch is on chain");
	assert_eq!(proof.verify(realm, index, &on_chain), Ok(()));
	assert_eq!(proof.entry, batch[2].clone().into_entry());
	// and a tampered record or root does not.
	let mut tampered = proof.clone();
	tampered.entry.result = 5001;
	assert_eq!(tampered.verify(realm, index, &on_chain), Err(ProofError::RootMismatch));
	let forged = BatchCommitment { root: H256::repeat_byte(1), ..on_chain };
	assert_eq!(proof.verify(realm, index, &forged), Err(ProofError::RootMismatch));

	// Replaying the batch records nothing twice.
	let from = node.best_number().unwrap();
	let replayed = RuntimeEvent::Audit(pallet_ims_audit::Event::Replayed {
		submitter: alice.to_account_id(),
		first_sequence: 0,
		count: 3,
	});
	let replay = submit(&batch, 0, 2, genesis);
	submit_and_wait(&node, replay, from + 1, "Audit::Replayed", |event| *event == replayed);
	assert_eq!(records(&node, 0, subscription)["total"], 3);

	// Bad requests get errors, and the node keeps serving.
	for (method, params, code) in [
		("imsAudit_records", json!([0, subscription, 0, 0]), -32602),
		("imsAudit_records", json!([0, subscription, 0, 1001]), -32602),
		("imsAudit_records", json!([0, "0x1234", 0, 10]), -32602),
		("imsAudit_records", json!([0, subscription, "zero"]), -32602),
		("imsAudit_records", json!([subscription, 0, 10]), -32602),
		("imsAudit_records", json!([-1, subscription]), -32602),
		("imsAudit_proof", json!([realm, 999, 0]), 9100),
		("imsAudit_proof", json!([realm, index, 3]), 9100),
		("imsAudit_proof", json!([77, 0, 0]), 9100),
		("imsAudit_proof", json!([realm, -1, 0]), -32602),
	] {
		let error = node.rpc(method, params.clone()).expect_err("a bad request");
		assert!(error.contains(&format!("\"code\":{code}")), "{method} {params}: {error}");
	}
	// Past the end, a page is empty.
	let page = node.rpc("imsAudit_records", json!([0, subscription, 5, 10])).unwrap();
	assert_eq!(page, json!({ "total": 3, "records": [], "next": null }));
	assert!(commitment(&node, realm, 999).is_none());

	assert!(node.stop(Duration::from_secs(30)).success());
}

#[test]
fn a_front_cannot_record_another_realms_subscriber() {
	// Given a second realm, owned by Bob, with a subscription of his,
	let mut node = Node::start(&["--dev"]);
	node.wait_for_rpc(Duration::from_secs(60));
	let genesis = genesis_hash(&node);
	let (alice, bob) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
	let create_realm = RuntimeCall::Identity(pallet_ims_identity::Call::create_realm {
		name: b"other.example.net".to_vec().try_into().unwrap(),
		owner: bob.to_account_id(),
	});
	let sudo = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(create_realm) });
	let created = |event: &RuntimeEvent| {
		matches!(event, RuntimeEvent::Identity(pallet_ims_identity::Event::RealmCreated { .. }))
	};
	submit_and_wait(&node, signed(alice, sudo, 0, genesis), 1, "RealmCreated", created);
	let theirs = H256::repeat_byte(0x91);
	let create = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
		realm: 1,
		subscription: theirs,
	});
	node.rpc("author_submitExtrinsic", json!([hex(&signed(bob, create, 0, genesis))])).unwrap();
	wait_for_records(&node, 1, theirs, 1);

	// when Alice, realm 0's front, records about it in realm 0,
	let record = front_record(Subject::Subscription(theirs), Activity::LocationQuery, 2001);
	let from = node.best_number().unwrap();
	let refused = DispatchError::from(pallet_ims_audit::Error::<Runtime>::SubjectNotInRealm);
	let failed = |event: &RuntimeEvent| {
		matches!(
			event,
			RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. })
				if *dispatch_error == refused
		)
	};
	submit_and_wait(
		&node,
		submit(std::slice::from_ref(&record), 0, 1, genesis),
		from + 1,
		"refusal",
		failed,
	);

	// then the chain refuses it: nothing recorded, her sequence unmoved,
	assert_eq!(records(&node, 0, theirs)["total"], 0);
	assert_eq!(records(&node, 1, theirs)["total"], 1);
	// and the same record about one of her realm's subscribers goes in.
	let ours = H256::repeat_byte(0x92);
	let create = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
		realm: 0,
		subscription: ours,
	});
	node.rpc("author_submitExtrinsic", json!([hex(&signed(alice, create, 2, genesis))])).unwrap();
	let record = FrontRecord { subject: Subject::Subscription(ours), ..record };
	node.rpc("author_submitExtrinsic", json!([hex(&submit(&[record], 0, 3, genesis))])).unwrap();
	wait_for_records(&node, 0, ours, 2);
	assert!(node.stop(Duration::from_secs(30)).success());
}

/// `imsAudit_signedRecords` for `subject` in realm 0, as `account` and
/// signed by `signer`, at the finalized block.
fn signed_read(
	node: &Node,
	(signer, account): (Sr25519Keyring, Sr25519Keyring),
	subject: H256,
	genesis: H256,
) -> Result<Value, String> {
	let at = BlockNumber::try_from(node.finalized_number().unwrap()).unwrap();
	let (realm, start, limit) = (0u32, 0u64, 100u32);
	let payload =
		(b"ims-audit:read".as_slice(), genesis, realm, subject, start, limit, at).encode();
	let request = json!({
		"realm": realm, "subject": subject, "start": start, "limit": limit, "at": at,
		"account": account.to_account_id().to_string(),
		"signature": hex(&signer.sign(&payload).0),
	});
	node.rpc("imsAudit_signedRecords", json!([request]))
}

#[test]
fn an_external_reader_signs_its_request_and_needs_the_realms_audit_right() {
	// Given a node whose RPC serves the safe methods only, as one exposed
	// to auditors would,
	let mut node = Node::start(&["--dev", "--rpc-methods", "safe"]);
	node.wait_for_rpc(Duration::from_secs(60));
	let genesis = genesis_hash(&node);
	let (alice, bob) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
	let impu = H256::repeat_byte(0x81);
	let record = front_record(Subject::Unknown(impu), Activity::LocationQuery, 5001);
	node.rpc("author_submitExtrinsic", json!([hex(&submit(&[record], 0, 0, genesis))])).unwrap();

	// the realm's owner (RealmAdmin, which reads the trail) gets the record
	// with a signed request,
	let deadline = Instant::now() + Duration::from_secs(60);
	let page = loop {
		let page = signed_read(&node, (alice, alice), impu, genesis).unwrap();
		if page["total"] == 1 {
			break page;
		}
		assert!(Instant::now() < deadline, "never listed: {page}");
		std::thread::sleep(Duration::from_millis(250));
	};
	assert_eq!(page["records"][0]["realm"], 0);
	assert_eq!(page["next"], Value::Null);
	// while the unsigned method is not served,
	let unsigned = node.rpc("imsAudit_records", json!([0, impu, 0, 10])).unwrap_err();
	assert!(unsigned.contains("unsafe"), "{unsigned}");
	// an account without the right is refused,
	let refused = signed_read(&node, (bob, bob), impu, genesis).unwrap_err();
	assert!(refused.contains("9104") && refused.contains("MissingRole"), "{refused}");
	// and a signature that is not the named account's is refused too.
	let forged = signed_read(&node, (bob, alice), impu, genesis).unwrap_err();
	assert!(forged.contains("9103"), "{forged}");
}
