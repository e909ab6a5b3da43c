//! Signed transactions through the real transaction pipeline of a real
//! `ims-node --dev`: the access policy lets the realm owner provision and
//! refuses a stranger, and the refusal outlives the reverted call as an
//! `AccessDenied` event in the block.

use std::time::{Duration, Instant};

use crate::common::{events_at, genesis_hash, hex, signed, Node};
use ims_runtime::{RuntimeCall, RuntimeEvent};
use serde_json::json;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;

#[test]
fn signed_ims_calls_are_allowed_or_refused_on_record() {
	// Given a development node, where Alice owns realm 0 and Bob holds nothing,
	let mut node = Node::start(&["--dev"]);
	node.wait_for_rpc(Duration::from_secs(60));
	let genesis = genesis_hash(&node);
	let from = node.best_number().unwrap();
	let create = |byte| {
		RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: 0,
			subscription: H256::repeat_byte(byte),
		})
	};

	// when each submits a subscription for realm 0,
	for (signer, byte) in [(Sr25519Keyring::Alice, 1), (Sr25519Keyring::Bob, 2)] {
		let extrinsic = signed(signer, create(byte), 0, genesis);
		node.rpc("author_submitExtrinsic", json!([hex(&extrinsic)]))
			.unwrap_or_else(|e| panic!("{signer:?}'s transaction is valid: {e}"));
	}

	// then Alice's is created, and Bob's refusal is in a block with who,
	// where and what: Identity (pallet 12) create_subscription (call 3),
	// NotAuthorized (error 0).
	let bob = Sr25519Keyring::Bob.to_account_id();
	let refused = RuntimeEvent::Access(pallet_ims_access::Event::AccessDenied {
		who: bob,
		realm: 0,
		pallet: 12,
		call: 3,
		module: 12,
		error: 0,
	});
	let created = RuntimeEvent::Identity(pallet_ims_identity::Event::SubscriptionCreated {
		realm: 0,
		subscription: H256::repeat_byte(1),
	});
	let (mut seen_refused, mut seen_created) = (false, false);
	let deadline = Instant::now() + Duration::from_secs(60);
	let mut next = from + 1;
	while !(seen_refused && seen_created) && Instant::now() < deadline {
		let best = node.best_number().unwrap();
		while next <= best {
			for event in events_at(&node, next) {
				seen_refused |= event == refused;
				seen_created |= event == created;
			}
			next += 1;
		}
		std::thread::sleep(Duration::from_millis(200));
	}
	assert!(seen_created, "Alice's subscription was created");
	assert!(seen_refused, "Bob's refusal is on record");

	assert!(node.stop(Duration::from_secs(30)).success());
}
