//! The identity and access runtime APIs and the development realm, read from
//! a real `ims-node --dev` over JSON-RPC, as the bridge and polkadot.js read
//! them.

use std::time::Duration;

use crate::common::{hex, unhex, Node};
use codec::{Decode, Encode};
use ims_primitives::{
	Action, Denial, ImpuView, LookupError, Permission, Requester, ServerAssignmentView, ShData,
};
use serde_json::json;
use sp_io::hashing::{twox_128, twox_64};

/// The development accounts `//Alice` and `//Bob` (sr25519 public keys).
const ALICE: [u8; 32] =
	hex_literal("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
const BOB: [u8; 32] =
	hex_literal("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48");

const fn hex_literal(text: &str) -> [u8; 32] {
	const fn digit(c: u8) -> u8 {
		match c {
			b'0'..=b'9' => c - b'0',
			b'a'..=b'f' => c - b'a' + 10,
			_ => panic!("lower-case hex"),
		}
	}
	let bytes = text.as_bytes();
	let mut out = [0u8; 32];
	let mut i = 0;
	while i < 32 {
		out[i] = digit(bytes[2 * i]) << 4 | digit(bytes[2 * i + 1]);
		i += 1;
	}
	out
}

/// Calls a runtime API function at the best block and decodes its answer.
fn call<R: Decode>(node: &Node, function: &str, args: impl Encode) -> R {
	let answer = node.rpc("state_call", json!([function, hex(&args.encode())])).unwrap();
	let bytes = unhex(answer.as_str().expect("hex string"));
	R::decode(&mut &bytes[..]).unwrap_or_else(|e| panic!("{function} answer: {e}"))
}

#[test]
fn identity_and_access_apis_and_dev_realm_are_served_over_rpc() {
	// Given a development node,
	let mut node = Node::start(&["--dev"]);
	node.wait_for_rpc(Duration::from_secs(60));
	let impi = [0x41u8; 32];
	let impu = [0x42u8; 32];

	// when the bridge asks about identities nobody provisioned, each Cx
	// lookup answers with its own error, decodable with ims-primitives.
	let lir: Result<ImpuView, LookupError> = call(&node, "IdentityApi_location", impu);
	assert_eq!(lir, Err(LookupError::UnknownImpu));
	let uar: Result<ImpuView, LookupError> =
		call(&node, "IdentityApi_user_authorization", (impi, impu));
	assert_eq!(uar, Err(LookupError::UnknownImpi));
	let sar: Result<ServerAssignmentView, LookupError> =
		call(&node, "IdentityApi_server_assignment", (None::<[u8; 32]>, impu));
	assert_eq!(sar, Err(LookupError::UnknownImpu));

	// The access policy answers the bridge too: Alice owns the development
	// realm and is its HSS front, Bob holds nothing, no application server is
	// authorised.
	let decide = |requester: Requester<[u8; 32]>, subscriber: Option<[u8; 32]>, action: Action| {
		call::<Result<(), Denial>>(&node, "AccessApi_decide", (requester, 0u32, subscriber, action))
	};
	let record = Action::Exercise(Permission::RecordRegistration);
	assert_eq!(decide(Requester::Account(ALICE), None, record.clone()), Ok(()));
	assert_eq!(decide(Requester::Account(BOB), None, record.clone()), Err(Denial::MissingRole));
	assert_eq!(
		decide(Requester::Account(ALICE), Some(impu), record),
		Err(Denial::UnknownSubscriber)
	);
	let server = Requester::ApplicationServer {
		host: b"as.ims.example.net".to_vec().try_into().unwrap(),
		fingerprint: [0; 32],
	};
	assert_eq!(
		decide(server, None, Action::ShRead(ShData::ImsUserState)),
		Err(Denial::UnknownApplicationServer)
	);
	let unknown_realm: Result<(), Denial> = call(
		&node,
		"AccessApi_decide",
		(
			Requester::Account(ALICE),
			7u32,
			None::<[u8; 32]>,
			Action::Exercise(Permission::Provision),
		),
	);
	assert_eq!(unknown_realm, Err(Denial::UnknownRealm));

	// And the development realm is in state under `Identity::Realms(0)`.
	let mut key = twox_128(b"Identity").to_vec();
	key.extend(twox_128(b"Realms"));
	key.extend(twox_64(&0u32.encode()));
	key.extend(0u32.encode());
	let value = node.rpc("state_getStorage", json!([hex(&key)])).unwrap();
	let value = unhex(value.as_str().expect("realm 0 is stored"));
	assert!(
		value.windows(15).any(|window| window == b"ims.example.net"),
		"realm 0 is ims.example.net"
	);

	assert!(node.stop(Duration::from_secs(30)).success());
}
