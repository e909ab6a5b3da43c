//! Four real `ims-node` validators on loopback, from the chain spec that
//! `build-spec --chain region-restricted` generates: Alice (DE), Bob (FR),
//! Charlie (NL) and Dave (IE), with Eve (US) admitted but outside the
//! allowed `EU`.
//!
//! - GRANDPA's voters, as the runtime hands them to the GRANDPA client and
//!   as the client's `grandpa_roundState` reports their total, carry the
//!   stake weights the authority pallet computes from the bonds.
//! - The operators' council restricts the regions to DE, FR and NL by a
//!   motion carried by three of its four members; Dave leaves the set at the
//!   next planned session (sessions last 10 blocks), GRANDPA moves to a set
//!   of three, and finality goes on.

use std::time::{Duration, Instant};

use crate::common::{
	events_at, genesis_hash, hex, run, signed, submit_and_wait, unhex, write, Node,
};
use codec::{Decode, Encode};
use ims_runtime::{
	currency::UNIT, genesis_config_presets::SHORT_SESSION, RuntimeCall, RuntimeEvent,
};
use pallet_ims_authority::{voting::voter_weights, Code, RegionPolicy};
use serde_json::{json, Value};
use sp_core::H256;
use sp_io::hashing::twox_128;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	Perbill,
};

/// Alice's network key, so that the others can name her as their bootnode.
const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

/// The four EU validators.
const EU: [(Sr25519Keyring, Ed25519Keyring); 4] = [
	(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
	(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
	(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
	(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
];

/// GRANDPA's voters and weights, as the runtime gives them to the client.
fn grandpa_voters(node: &Node, at: &Value) -> Vec<([u8; 32], u64)> {
	let answer =
		node.rpc("state_call", json!(["GrandpaApi_grandpa_authorities", "0x", at])).unwrap();
	Vec::<([u8; 32], u64)>::decode(&mut &unhex(answer.as_str().unwrap())[..])
		.expect("an authority list")
}

/// The session's validators at block `at`.
fn session_validators(node: &Node, at: &Value) -> Vec<[u8; 32]> {
	let mut key = twox_128(b"Session").to_vec();
	key.extend(twox_128(b"Validators"));
	let value = node.rpc("state_getStorage", json!([hex(&key), at])).unwrap();
	Vec::<[u8; 32]>::decode(&mut &unhex(value.as_str().unwrap())[..]).expect("validators")
}

fn finalized_head(node: &Node) -> Value {
	node.rpc("chain_getFinalizedHead", json!([])).unwrap()
}

/// Waits until `check` holds, or panics with `what` and the node's log.
fn wait_until(node: &Node, timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
	let deadline = Instant::now() + timeout;
	while Instant::now() < deadline {
		if check() {
			return;
		}
		std::thread::sleep(Duration::from_millis(500));
	}
	panic!("{what} within {timeout:?}; Alice's log:\n{}", node.log());
}

#[test]
fn a_disallowed_region_leaves_the_set_while_finality_continues() {
	let dir = tempfile::tempdir().unwrap();
	let (status, spec, stderr) =
		run(&["build-spec", "--chain", "region-restricted", "--raw", "--disable-default-bootnode"]);
	assert!(status.success(), "build-spec: {stderr}");
	let spec = write(dir.path(), "region-restricted.json", &spec);
	let key_file = write(dir.path(), "alice.key", ALICE_NODE_KEY);
	let (status, peer_id, stderr) = run(&["key", "inspect-node-key", "--file", &key_file]);
	assert!(status.success(), "inspect-node-key: {stderr}");

	let mut alice = Node::start(&["--chain", &spec, "--alice", "--node-key", ALICE_NODE_KEY]);
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", alice.p2p_port, peer_id.trim());
	let mut others: Vec<Node> = ["--bob", "--charlie", "--dave"]
		.iter()
		.map(|who| Node::start(&["--chain", &spec, who, "--bootnodes", &bootnode]))
		.collect();
	alice.wait_for_rpc(Duration::from_secs(60));
	for node in &mut others {
		node.wait_for_rpc(Duration::from_secs(60));
	}

	// Four validators finalize blocks.
	wait_until(&alice, Duration::from_secs(120), "finality reaches block 3", || {
		alice.finalized_number().unwrap_or(0) >= 3
	});

	// GRANDPA's voters are the four EU validators, weighted by their bonds
	// (40, 30, 20 and 10 thousand units) with no operator at 30 % or more.
	let head = finalized_head(&alice);
	let bonds = [40_000 * UNIT, 30_000 * UNIT, 20_000 * UNIT, 10_000 * UNIT];
	let expected = voter_weights(
		&EU.iter().zip(bonds).map(|((sr, _), bond)| (sr.to_account_id(), bond)).collect::<Vec<_>>(),
		Perbill::from_percent(30),
	);
	assert!(expected.cap_met);
	let voters = grandpa_voters(&alice, &head);
	assert_eq!(
		voters,
		EU.iter()
			.map(|(_, ed)| ed.public().0)
			.zip(expected.weights.iter().copied())
			.collect::<Vec<_>>()
	);
	let total: u64 = voters.iter().map(|(_, weight)| weight).sum();
	assert!(voters.iter().all(|(_, weight)| 3 * weight < total), "{voters:?}");
	// The GRANDPA client votes with the same total weight.
	wait_until(&alice, Duration::from_secs(60), "a GRANDPA round with the voters' weight", || {
		alice.rpc("grandpa_roundState", json!([])).is_ok_and(|state| {
			state["best"]["totalWeight"].as_u64() == Some(total)
				&& state["best"]["thresholdWeight"].as_u64().is_some()
		})
	});

	// The council (Alice, Bob, Charlie, Dave) restricts the regions to DE,
	// FR and NL: Alice proposes with a threshold of 3, three members vote
	// aye, Dave closes.
	let genesis = genesis_hash(&alice);
	let policy = RegionPolicy::Only(
		vec![Code::new(b"DE"), Code::new(b"FR"), Code::new(b"NL")].try_into().unwrap(),
	);
	let motion = RuntimeCall::Authority(pallet_ims_authority::Call::set_allowed_regions {
		policy: policy.clone(),
	});
	let length = motion.encoded_size() as u32;
	let hash: H256 = BlakeTwo256::hash_of(&motion);
	let propose = RuntimeCall::Council(pallet_collective::Call::propose {
		threshold: 3,
		proposal: Box::new(motion),
		length_bound: length,
	});
	let start = alice.best_number().unwrap();
	let proposed = submit_and_wait(
		&alice,
		signed(Sr25519Keyring::Alice, propose, 0, genesis),
		start,
		"Council::Proposed",
		|event| matches!(event, RuntimeEvent::Council(pallet_collective::Event::Proposed { .. })),
	);
	let vote = |who: Sr25519Keyring, nonce: u32| {
		let call = RuntimeCall::Council(pallet_collective::Call::vote {
			proposal: hash,
			index: 0,
			approve: true,
		});
		signed(who, call, nonce, genesis)
	};
	for (who, nonce) in
		[(Sr25519Keyring::Alice, 1), (Sr25519Keyring::Bob, 0), (Sr25519Keyring::Charlie, 0)]
	{
		let voter = who.to_account_id();
		submit_and_wait(&alice, vote(who, nonce), proposed, "Council::Voted", |event| {
			matches!(
				event,
				RuntimeEvent::Council(pallet_collective::Event::Voted { account, .. })
					if *account == voter
			)
		});
	}
	let close = RuntimeCall::Council(pallet_collective::Call::close {
		proposal_hash: hash,
		index: 0,
		proposal_weight_bound: frame_support::weights::Weight::from_parts(
			10_000_000_000,
			1_000_000,
		),
		length_bound: length,
	});
	let carried = submit_and_wait(
		&alice,
		signed(Sr25519Keyring::Dave, close, 0, genesis),
		proposed,
		"AllowedRegionsSet",
		|event| {
			matches!(
				event,
				RuntimeEvent::Authority(pallet_ims_authority::Event::AllowedRegionsSet { policy: p })
					if *p == policy
			)
		},
	);
	assert!(
		events_at(&alice, carried).iter().any(|event| matches!(
			event,
			RuntimeEvent::Council(pallet_collective::Event::Executed { result: Ok(()), .. })
		)),
		"the motion executed"
	);

	// At the next planned session (at most two sessions on), Dave is out of
	// the session's set and of GRANDPA's finalized voter set, which
	// weighs the three remaining operators equally (three cannot all stay
	// under 30 %).
	let sessions = Duration::from_secs(3 * u64::from(SHORT_SESSION) * 2 + 60);
	let three: Vec<[u8; 32]> = EU[..3].iter().map(|(sr, _)| *sr.to_account_id().as_ref()).collect();
	wait_until(&alice, sessions, "Dave leaves the finalized session set", || {
		session_validators(&alice, &finalized_head(&alice)) == three
	});
	let voters = grandpa_voters(&alice, &finalized_head(&alice));
	assert_eq!(
		voters,
		EU[..3].iter().map(|(_, ed)| (ed.public().0, 333_333_333)).collect::<Vec<_>>()
	);

	// Finality goes on under the new set: two more sessions finalize.
	let finalized = alice.finalized_number().unwrap();
	wait_until(&alice, Duration::from_secs(120), "finality continues with three voters", || {
		alice.finalized_number().unwrap_or(0) >= finalized + 2 * u64::from(SHORT_SESSION)
	});
	wait_until(&alice, Duration::from_secs(60), "GRANDPA rounds with three voters", || {
		alice
			.rpc("grandpa_roundState", json!([]))
			.is_ok_and(|state| state["best"]["totalWeight"].as_u64() == Some(999_999_999))
	});
	// Dave's node follows the chain as a non-voter.
	wait_until(&others[2], Duration::from_secs(60), "Dave's node follows finality", || {
		others[2].finalized_number().unwrap_or(0) >= finalized
	});
}
