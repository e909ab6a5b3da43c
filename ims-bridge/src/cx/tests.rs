//! The Cx handlers against a real vault and journal, with the index filled
//! as the chain follower would fill it.

use super::{assignment, authorization_type, name, Cx, CxConfig};
use crate::auth::{self, milenage::Milenage};
use crate::diameter::codec::{Avp, Message};
use crate::diameter::dict::{avp, command, experimental, result, APP_CX, VENDOR_3GPP};
use crate::diameter::peer::{Application, LocalIdentity, PeerInfo, PeerRole};
use crate::index::{ImpiEntry, Index, Update};
use crate::journal::{Journal, Record};
use crate::metrics::Metrics;
use crate::pseudonym::Kind;
use crate::vault::{AkaSecret, DigestSecret, PrivateIdentity, Subscriber, Vault, VaultKey};
use ims_primitives::audit::{Activity, Peer};
use ims_primitives::Denial;
use ims_primitives::{
	ApplicationServer, AuthScheme, AuthSchemes, DefaultHandling, IfcView, ImpuId, ImpuKind,
	ImpuView, ProfilePart, PublicIdentityView, RealmId, RegistrationState, RegistrationView,
	ServerAssignmentView, Subject, Token,
};
use std::net::SocketAddr;
use std::sync::Arc;

const K: [u8; 16] = [
	0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc,
];
const OPC: [u8; 16] = [
	0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e, 0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf,
];

struct World {
	cx: Cx,
	index: Arc<Index>,
	vault: Arc<Vault>,
	journal: Journal,
	metrics: Arc<Metrics>,
	alice: Subscriber,
	_dir: tempfile::TempDir,
}

fn subscriber(name: &str, impi: &str, impus: &[&str], aka: bool) -> Subscriber {
	let mut s = Subscriber::new(name);
	s.impis.push(PrivateIdentity {
		identity: impi.into(),
		aka: aka.then_some(AkaSecret { k: K, opc: OPC, amf: [0x80, 0], sqn: 0 }),
		digest: Some(DigestSecret {
			realm: "ims.test".into(),
			ha1: auth::digest_ha1(impi, "ims.test", "secret"),
			password: Some("secret".into()),
		}),
	});
	s.impus = impus.iter().map(|u| u.to_string()).collect();
	s
}

fn impu_id(s: &Subscriber, impu: &str) -> ImpuId {
	ImpuId::from(s.pseudonym(Kind::Impu, impu))
}

fn impi_id(s: &Subscriber, impi: &str) -> ImpuId {
	ImpuId::from(s.pseudonym(Kind::Impi, impi))
}

/// The runtime's view of `impu` of `s`, whose implicit set is all of `s`'s
/// IMPUs, linked to all of its IMPIs.
fn view_of(s: &Subscriber, impu: &str) -> ServerAssignmentView {
	ServerAssignmentView {
		impu: ImpuView {
			impu: impu_id(s, impu),
			realm: 1,
			realm_name: name("ims.test"),
			subscription: ImpuId::from(s.handle()),
			kind: ImpuKind::PublicIdentity,
			barred: false,
			can_register: true,
			implicit_set: Some(1),
			all_barred: false,
			roaming: vec![name("visited.test")].try_into().unwrap(),
			registration: RegistrationView::default(),
		},
		associated_impis: s.impis.iter().map(|i| impi_id(s, &i.identity)).collect(),
		profiles: vec![ims_primitives::ProfileView {
			id: 1,
			name: name("basic"),
			identities: s
				.impus
				.iter()
				.map(|u| PublicIdentityView {
					impu: impu_id(s, u),
					kind: ImpuKind::PublicIdentity,
					barred: false,
				})
				.collect(),
			ifcs: vec![],
			shared_ifc_sets: vec![],
			subscribed_media_profile: None,
		}],
		charging: None,
	}
}

fn world_with(config: CxConfig) -> World {
	let dir = tempfile::tempdir().unwrap();
	let vault = Arc::new(
		Vault::open(&dir.path().join("vault.redb"), &VaultKey::from_bytes([5; 32])).unwrap(),
	);
	let journal = Journal::open(&dir.path().join("journal.redb")).unwrap();
	let index = Arc::new(Index::default());
	let metrics = Arc::new(Metrics::new().unwrap());

	let alice =
		subscriber("alice", "alice@ims.test", &["sip:alice@ims.test", "tel:+15550100"], true);
	let bob = subscriber("bob", "bob@ims.test", &["sip:bob@ims.test"], false);
	let carol = subscriber("carol", "carol@ims.test", &["sip:carol@ims.test"], false);
	for s in [&alice, &bob, &carol] {
		vault.put(s).unwrap();
	}
	let mut bob_view = view_of(&bob, "sip:bob@ims.test");
	bob_view.impu.barred = true;
	bob_view.impu.all_barred = true;
	let mut carol_view = view_of(&carol, "sip:carol@ims.test");
	carol_view.associated_impis.clear();
	let all = AuthSchemes::of(&[
		AuthScheme::AkaV1Md5,
		AuthScheme::AkaV2Md5,
		AuthScheme::SipDigest,
		AuthScheme::DigestMd5,
	]);
	let entry = |subscription, schemes, default_scheme| {
		Some(ImpiEntry { subscription, schemes, default_scheme, credential_epoch: 0 })
	};
	index.apply(Update {
		impus: vec![
			(impu_id(&alice, "sip:alice@ims.test"), Some(view_of(&alice, "sip:alice@ims.test"))),
			(impu_id(&alice, "tel:+15550100"), Some(view_of(&alice, "tel:+15550100"))),
			(impu_id(&bob, "sip:bob@ims.test"), Some(bob_view)),
			(impu_id(&carol, "sip:carol@ims.test"), Some(carol_view)),
		],
		impis: vec![
			(
				impi_id(&alice, "alice@ims.test"),
				entry(ImpuId::from(alice.handle()), all, AuthScheme::AkaV1Md5),
			),
			(
				impi_id(&bob, "bob@ims.test"),
				entry(
					ImpuId::from(bob.handle()),
					AuthSchemes::of(&[AuthScheme::SipDigest]),
					AuthScheme::SipDigest,
				),
			),
			(
				impi_id(&carol, "carol@ims.test"),
				entry(
					ImpuId::from(carol.handle()),
					AuthSchemes::of(&[AuthScheme::SipDigest]),
					AuthScheme::SipDigest,
				),
			),
		],
		realms: Some([("ims.test".to_string(), 1)].into_iter().collect()),
		..Default::default()
	});
	let local = LocalIdentity {
		origin_host: "hss.ims.test".into(),
		origin_realm: "ims.test".into(),
		host_ip: "127.0.0.1".parse().unwrap(),
		product_name: "ims-bridge".into(),
	};
	let cx = Cx::new(local, config, index.clone(), vault.clone(), journal.clone(), metrics.clone());
	World { cx, index, vault, journal, metrics, alice, _dir: dir }
}

fn world() -> World {
	world_with(CxConfig {
		scscf_name: Some("sip:scscf.ims.test:6060".into()),
		..CxConfig::default()
	})
}

fn peer() -> PeerInfo {
	PeerInfo {
		origin_host: "scscf.ims.test".into(),
		origin_realm: "ims.test".into(),
		address: "127.0.0.1:3869".parse::<SocketAddr>().unwrap(),
		role: PeerRole::SCscf { server_name: "sip:scscf.ims.test:6060".into() },
	}
}

fn request(command: u32) -> Message {
	Message::request(command, APP_CX, 11, 22)
		.with(Avp::utf8_of(&avp::SESSION_ID, "scscf.ims.test;1"))
		.with(Avp::utf8_of(&avp::ORIGIN_HOST, "scscf.ims.test"))
		.with(Avp::utf8_of(&avp::ORIGIN_REALM, "ims.test"))
		.with(Avp::utf8_of(&avp::DESTINATION_REALM, "ims.test"))
}

fn uar(impi: &str, impu: &str) -> Message {
	request(command::USER_AUTHORIZATION)
		.with(Avp::utf8_of(&avp::USER_NAME, impi))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu))
		.with(Avp::octets_of(&avp::VISITED_NETWORK_IDENTIFIER, b"\"ims.test\"".to_vec()))
}

fn mar(impi: &str, impu: &str, scheme: &str, items: u32) -> Message {
	request(command::MULTIMEDIA_AUTH)
		.with(Avp::utf8_of(&avp::USER_NAME, impi))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu))
		.with(Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, items))
		.with(Avp::grouped_of(
			&avp::SIP_AUTH_DATA_ITEM,
			vec![Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, scheme)],
		))
		.with(Avp::utf8_of(&avp::SERVER_NAME, "sip:scscf.ims.test:6060"))
}

fn sar(impu: &str, kind: u32) -> Message {
	request(command::SERVER_ASSIGNMENT)
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu))
		.with(Avp::utf8_of(&avp::SERVER_NAME, "sip:scscf.ims.test:6060"))
		.with(Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, kind))
		.with(Avp::u32_of(&avp::USER_DATA_ALREADY_AVAILABLE, 0))
}

fn lir(impu: &str) -> Message {
	request(command::LOCATION_INFO).with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, impu))
}

/// (base Result-Code, Experimental-Result-Code) of an answer.
fn codes(answer: &Message) -> (Option<u32>, Option<u32>) {
	let base = answer.optional_u32(&avp::RESULT_CODE).unwrap();
	let experimental = answer.find(&avp::EXPERIMENTAL_RESULT).map(|er| {
		let children = er.children(&avp::EXPERIMENTAL_RESULT).unwrap();
		assert!(children
			.iter()
			.any(|c| c.is(&avp::VENDOR_ID) && c.u32(&avp::VENDOR_ID) == Ok(VENDOR_3GPP)));
		let code = children.iter().find(|c| c.is(&avp::EXPERIMENTAL_RESULT_CODE)).unwrap();
		code.u32(&avp::EXPERIMENTAL_RESULT_CODE).unwrap()
	});
	(base, experimental)
}

async fn last_record(w: &World) -> (RealmId, Record) {
	w.journal.settle().await.unwrap();
	let records = w.journal.pending_audit(10_000).unwrap();
	let last = records.last().expect("an audit record").clone();
	(last.realm, last.record)
}

async fn records(w: &World) -> usize {
	w.journal.settle().await.unwrap();
	w.journal.pending_audit(10_000).unwrap().len()
}

/// The I-CSCF of the tests.
fn icscf() -> PeerInfo {
	PeerInfo { origin_host: "icscf.ims.test".into(), role: PeerRole::ICscf, ..peer() }
}

/// Asks `message` of the bridge from the peer whose role sends it.
async fn ask(w: &World, message: Message) -> Message {
	let from = match message.header.command {
		command::USER_AUTHORIZATION | command::LOCATION_INFO => icscf(),
		_ => peer(),
	};
	ask_from(w, &from, message).await
}

async fn ask_from(w: &World, from: &PeerInfo, message: Message) -> Message {
	let answer = w.cx.handle(from, message).await;
	assert!(!answer.header.is_request());
	assert_eq!((answer.header.hop_by_hop, answer.header.end_to_end), (11, 22));
	answer
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_carries_the_common_avps_and_a_missing_session_id_is_refused() {
	let w = world();
	let answer = ask(&w, uar("alice@ims.test", "sip:alice@ims.test")).await;
	assert_eq!(answer.required_utf8(&avp::SESSION_ID).unwrap(), "scscf.ims.test;1");
	assert_eq!(answer.required_utf8(&avp::ORIGIN_HOST).unwrap(), "hss.ims.test");
	assert_eq!(answer.required_utf8(&avp::ORIGIN_REALM).unwrap(), "ims.test");
	assert_eq!(answer.required_u32(&avp::AUTH_SESSION_STATE).unwrap(), 1);
	assert!(answer.find(&avp::VENDOR_SPECIFIC_APPLICATION_ID).is_some());

	let mut no_session = uar("alice@ims.test", "sip:alice@ims.test");
	no_session.avps.retain(|a| !a.is(&avp::SESSION_ID));
	let before = records(&w).await;
	let answer = ask(&w, no_session).await;
	assert_eq!(codes(&answer), (Some(result::MISSING_AVP), None));
	let failed = answer.find(&avp::FAILED_AVP).unwrap().children(&avp::FAILED_AVP).unwrap();
	assert!(failed[0].is(&avp::SESSION_ID));
	assert_eq!(records(&w).await, before, "a malformed request is not a transaction");
}

#[tokio::test(flavor = "multi_thread")]
async fn uar_answers() {
	let w = world();
	// First registration: the configured S-CSCF.
	let answer = ask(&w, uar("alice@ims.test", "sip:alice@ims.test")).await;
	assert_eq!(codes(&answer), (None, Some(experimental::FIRST_REGISTRATION)));
	assert_eq!(answer.required_utf8(&avp::SERVER_NAME).unwrap(), "sip:scscf.ims.test:6060");
	let (realm, record) = last_record(&w).await;
	assert_eq!(realm, 1);
	assert_eq!(record.subject, Subject::Impu(impu_id(&w.alice, "sip:alice@ims.test")));
	assert_eq!(record.activity, Activity::UserAuthorization);
	assert_eq!(record.result, experimental::FIRST_REGISTRATION);
	assert_eq!(record.peer, Peer::Diameter(Token::truncate_from(b"icscf.ims.test".to_vec())));
	// Its time, to the minute only: within the last two minutes.
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
	assert_eq!(record.at_ms % super::RECORD_TIME_STEP_MS, 0);
	assert!(record.at_ms <= now.as_millis() as u64);
	assert!(record.at_ms + 2 * super::RECORD_TIME_STEP_MS > now.as_millis() as u64);

	// A roaming network on the allow-list is fine; another one is not.
	let mut roaming = uar("alice@ims.test", "sip:alice@ims.test");
	roaming.avps.retain(|a| !a.is(&avp::VISITED_NETWORK_IDENTIFIER));
	let allowed = roaming
		.clone()
		.with(Avp::octets_of(&avp::VISITED_NETWORK_IDENTIFIER, b"visited.test".to_vec()));
	assert_eq!(codes(&ask(&w, allowed).await).1, Some(experimental::FIRST_REGISTRATION));
	let refused = roaming
		.with(Avp::octets_of(&avp::VISITED_NETWORK_IDENTIFIER, b"\"elsewhere.test\"".to_vec()));
	assert_eq!(codes(&ask(&w, refused).await).1, Some(experimental::ERROR_ROAMING_NOT_ALLOWED));

	// Unknown user: 5001, recorded under an unlinkable pseudonym.
	let answer = ask(&w, uar("eve@ims.test", "sip:eve@ims.test")).await;
	assert_eq!(codes(&answer), (None, Some(experimental::ERROR_USER_UNKNOWN)));
	let (_, record) = last_record(&w).await;
	let blinded = ImpuId::from(w.vault.unknown_pseudonym(Kind::Impu, "sip:eve@ims.test"));
	assert_eq!(record.subject, Subject::Unknown(blinded));
	assert_eq!(record.result, experimental::ERROR_USER_UNKNOWN);

	// Another subscription's IMPI, an unknown IMPI, an IMPI not linked.
	let answer = ask(&w, uar("bob@ims.test", "sip:alice@ims.test")).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_IDENTITIES_DONT_MATCH));
	let answer = ask(&w, uar("nobody@ims.test", "sip:alice@ims.test")).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_USER_UNKNOWN));
	let answer = ask(&w, uar("carol@ims.test", "sip:carol@ims.test")).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_IDENTITIES_DONT_MATCH));

	// A barred identity (its whole implicit set barred) is refused.
	let answer = ask(&w, uar("bob@ims.test", "sip:bob@ims.test")).await;
	assert_eq!(codes(&answer), (Some(result::AUTHORIZATION_REJECTED), None));

	// Capabilities asked for: the I-CSCF selects.
	let answer = ask(
		&w,
		uar("alice@ims.test", "sip:alice@ims.test").with(Avp::u32_of(
			&avp::USER_AUTHORIZATION_TYPE,
			authorization_type::REGISTRATION_AND_CAPABILITIES,
		)),
	)
	.await;
	assert_eq!(codes(&answer).1, Some(experimental::FIRST_REGISTRATION));
	assert!(answer.find(&avp::SERVER_CAPABILITIES).is_some());
	assert!(answer.find(&avp::SERVER_NAME).is_none());

	// Deregistration of an identity that is not registered.
	let dereg = uar("alice@ims.test", "sip:alice@ims.test")
		.with(Avp::u32_of(&avp::USER_AUTHORIZATION_TYPE, authorization_type::DE_REGISTRATION));
	assert_eq!(
		codes(&ask(&w, dereg.clone()).await).1,
		Some(experimental::ERROR_IDENTITY_NOT_REGISTERED)
	);

	// Once registered: subsequent registration at the same S-CSCF, and
	// deregistration succeeds.
	ask(&w, sar("sip:alice@ims.test", assignment::REGISTRATION)).await;
	let answer = ask(&w, uar("alice@ims.test", "tel:+15550100")).await;
	assert_eq!(codes(&answer).1, Some(experimental::SUBSEQUENT_REGISTRATION));
	assert_eq!(answer.required_utf8(&avp::SERVER_NAME).unwrap(), "sip:scscf.ims.test:6060");
	let answer = ask(&w, dereg).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));

	// A User-Authorization-Type out of range, a missing Public-Identity.
	let answer = ask(
		&w,
		uar("alice@ims.test", "sip:alice@ims.test")
			.with(Avp::u32_of(&avp::USER_AUTHORIZATION_TYPE, 9)),
	)
	.await;
	assert_eq!(codes(&answer), (Some(result::INVALID_AVP_VALUE), None));
	let mut missing = uar("alice@ims.test", "sip:alice@ims.test");
	missing.avps.retain(|a| !a.is(&avp::PUBLIC_IDENTITY));
	assert_eq!(codes(&ask(&w, missing).await), (Some(result::MISSING_AVP), None));
	// Three first registrations and one deregistration answered 2001.
	assert_eq!(w.metrics.count(command::USER_AUTHORIZATION, 2001), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn uar_without_a_configured_scscf_offers_capabilities() {
	let w = world_with(CxConfig::default());
	let answer = ask(&w, uar("alice@ims.test", "sip:alice@ims.test")).await;
	assert_eq!(codes(&answer).1, Some(experimental::FIRST_REGISTRATION));
	assert!(answer.find(&avp::SERVER_CAPABILITIES).is_some());
}

fn items(answer: &Message) -> Vec<&[Avp]> {
	answer
		.find_all(&avp::SIP_AUTH_DATA_ITEM)
		.map(|i| i.children(&avp::SIP_AUTH_DATA_ITEM).unwrap())
		.collect()
}

fn child<'a>(item: &'a [Avp], def: &'static crate::diameter::dict::AvpDef) -> &'a Avp {
	item.iter().find(|a| a.is(def)).unwrap_or_else(|| panic!("{} missing", def.name))
}

#[tokio::test(flavor = "multi_thread")]
async fn mar_sip_digest_gives_ha1_and_never_the_password() {
	let w = world();
	for requested in ["SIP Digest", "Digest-MD5"] {
		let answer = ask(&w, mar("alice@ims.test", "sip:alice@ims.test", requested, 1)).await;
		assert_eq!(codes(&answer), (Some(result::SUCCESS), None), "{requested}");
		assert_eq!(answer.required_utf8(&avp::USER_NAME).unwrap(), "alice@ims.test");
		assert_eq!(answer.required_utf8(&avp::PUBLIC_IDENTITY).unwrap(), "sip:alice@ims.test");
		assert_eq!(answer.required_u32(&avp::SIP_NUMBER_AUTH_ITEMS).unwrap(), 1);
		let item = items(&answer)[0];
		assert_eq!(
			child(item, &avp::SIP_AUTHENTICATION_SCHEME)
				.utf8(&avp::SIP_AUTHENTICATION_SCHEME)
				.unwrap(),
			"SIP Digest"
		);
		let digest = child(item, &avp::SIP_DIGEST_AUTHENTICATE)
			.children(&avp::SIP_DIGEST_AUTHENTICATE)
			.unwrap();
		assert_eq!(child(digest, &avp::DIGEST_REALM).utf8(&avp::DIGEST_REALM).unwrap(), "ims.test");
		assert_eq!(child(digest, &avp::DIGEST_QOP).utf8(&avp::DIGEST_QOP).unwrap(), "auth");
		assert_eq!(
			child(digest, &avp::DIGEST_HA1).utf8(&avp::DIGEST_HA1).unwrap(),
			auth::digest_ha1("alice@ims.test", "ims.test", "secret")
		);
		let bytes = answer.encode().unwrap();
		assert!(!bytes.windows(6).any(|w| w == b"secret"), "the password never leaves");
		let (_, record) = last_record(&w).await;
		assert_eq!(record.subject, Subject::Impi(impi_id(&w.alice, "alice@ims.test")));
		assert_eq!(record.activity, Activity::AuthenticationChallenge(AuthScheme::SipDigest));
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mar_whose_subscriber_was_erased_once_cached_is_refused_and_audited() {
	let w = world();
	// Two UARs bring alice's subscription into the vault's cache.
	for _ in 0..2 {
		let answer = ask(&w, uar("alice@ims.test", "sip:alice@ims.test")).await;
		assert_eq!(codes(&answer), (None, Some(experimental::FIRST_REGISTRATION)));
	}
	// The MAR reads the directory and the secrets together, so an erasure
	// is either wholly before it or wholly after.
	assert!(w.vault.erase(&w.alice.handle()).unwrap());
	let before = records(&w).await;
	let answer = ask(&w, mar("alice@ims.test", "sip:alice@ims.test", "SIP Digest", 1)).await;
	assert_eq!(codes(&answer), (None, Some(experimental::ERROR_USER_UNKNOWN)));
	assert!(items(&answer).is_empty());
	assert!(answer.find(&avp::SIP_NUMBER_AUTH_ITEMS).is_none());
	assert_eq!(records(&w).await, before + 1);
	let (_, record) = last_record(&w).await;
	let blinded = ImpuId::from(w.vault.unknown_pseudonym(Kind::Impi, "alice@ims.test"));
	assert_eq!(record.subject, Subject::Unknown(blinded));
	assert_eq!(record.activity, Activity::AuthenticationChallenge(AuthScheme::SipDigest));
	assert_eq!(record.result, experimental::ERROR_USER_UNKNOWN);
}

/// Dave, whose IMPI may use Digest-MD5 only.
fn add_digest_md5_only(w: &World) {
	let dave = subscriber("dave", "dave@ims.test", &["sip:dave@ims.test"], false);
	w.vault.put(&dave).unwrap();
	w.index.apply(Update {
		impus: vec![(
			impu_id(&dave, "sip:dave@ims.test"),
			Some(view_of(&dave, "sip:dave@ims.test")),
		)],
		impis: vec![(
			impi_id(&dave, "dave@ims.test"),
			Some(ImpiEntry {
				subscription: ImpuId::from(dave.handle()),
				schemes: AuthSchemes::of(&[AuthScheme::DigestMd5]),
				default_scheme: AuthScheme::DigestMd5,
				credential_epoch: 0,
			}),
		)],
		..Default::default()
	});
}

#[tokio::test(flavor = "multi_thread")]
async fn mar_digest_md5_hands_the_password_only_when_enabled() {
	let w = world_with(CxConfig { digest_md5: true, ..CxConfig::default() });
	// Bob may use SIP Digest only: Digest-MD5 is answered with SIP Digest.
	let answer = ask(&w, mar("bob@ims.test", "sip:bob@ims.test", "Digest-MD5", 1)).await;
	assert!(items(&answer)[0].iter().any(|a| a.is(&avp::SIP_DIGEST_AUTHENTICATE)));
	// An IMPI allowed Digest-MD5 only, with Digest-MD5 enabled.
	add_digest_md5_only(&w);
	let answer = ask(&w, mar("dave@ims.test", "sip:dave@ims.test", "Digest-MD5", 1)).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	let item = items(&answer)[0];
	assert_eq!(
		child(item, &avp::SIP_AUTHENTICATION_SCHEME).utf8(&avp::SIP_AUTHENTICATION_SCHEME).unwrap(),
		"Digest-MD5"
	);
	assert_eq!(
		child(item, &avp::SIP_AUTHORIZATION).octets(&avp::SIP_AUTHORIZATION).unwrap(),
		b"secret"
	);
	assert_eq!(
		child(item, &avp::SIP_AUTHENTICATE).octets(&avp::SIP_AUTHENTICATE).unwrap().len(),
		32
	);

	// The same IMPI with Digest-MD5 disabled: 5006.
	let w2 = world();
	add_digest_md5_only(&w2);
	let answer = ask(&w2, mar("dave@ims.test", "sip:dave@ims.test", "Digest-MD5", 1)).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_AUTH_SCHEME_NOT_SUPPORTED));
}

/// SQN of a vector, recovered from AUTN with f5 as a USIM does.
fn sqn_of(item: &[Avp]) -> u64 {
	let challenge = child(item, &avp::SIP_AUTHENTICATE).octets(&avp::SIP_AUTHENTICATE).unwrap();
	let rand: [u8; 16] = challenge[..16].try_into().unwrap();
	let autn = &challenge[16..];
	let ak = Milenage::new(&K, &OPC).f2345(&rand).ak;
	autn[..6].iter().zip(ak).fold(0u64, |acc, (c, a)| (acc << 8) | u64::from(c ^ a))
}

#[tokio::test(flavor = "multi_thread")]
async fn mar_aka_gives_fresh_vectors_a_usim_accepts() {
	let w = world();
	let answer = ask(&w, mar("alice@ims.test", "sip:alice@ims.test", "Digest-AKAv1-MD5", 3)).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert_eq!(answer.required_u32(&avp::SIP_NUMBER_AUTH_ITEMS).unwrap(), 3);
	let vectors = items(&answer);
	assert_eq!(vectors.len(), 3);
	let mut last_sqn = 0;
	for (number, item) in vectors.iter().enumerate() {
		assert_eq!(
			child(item, &avp::SIP_ITEM_NUMBER).u32(&avp::SIP_ITEM_NUMBER).unwrap(),
			number as u32 + 1
		);
		let challenge = child(item, &avp::SIP_AUTHENTICATE).octets(&avp::SIP_AUTHENTICATE).unwrap();
		assert_eq!(challenge.len(), 32);
		let rand: [u8; 16] = challenge[..16].try_into().unwrap();
		// What the USIM computes from K and OPc must match the vector.
		let m = Milenage::new(&K, &OPC);
		let out = m.f2345(&rand);
		assert_eq!(
			child(item, &avp::SIP_AUTHORIZATION).octets(&avp::SIP_AUTHORIZATION).unwrap(),
			out.res
		);
		assert_eq!(
			child(item, &avp::CONFIDENTIALITY_KEY).octets(&avp::CONFIDENTIALITY_KEY).unwrap(),
			out.ck
		);
		assert_eq!(child(item, &avp::INTEGRITY_KEY).octets(&avp::INTEGRITY_KEY).unwrap(), out.ik);
		let sqn = sqn_of(item);
		let mac = m.f1(&rand, &auth::sqn_bytes(sqn), &[0x80, 0]);
		assert_eq!(&challenge[16 + 6..16 + 8], &[0x80, 0]);
		assert_eq!(&challenge[16 + 8..], &mac);
		assert!(sqn > last_sqn, "SQN increases");
		last_sqn = sqn;
	}
	// The default scheme when none is named is the IMPI's (AKAv1).
	let answer = ask(&w, mar("alice@ims.test", "sip:alice@ims.test", "Unknown", 1)).await;
	let item = items(&answer)[0];
	assert_eq!(
		child(item, &avp::SIP_AUTHENTICATION_SCHEME).utf8(&avp::SIP_AUTHENTICATION_SCHEME).unwrap(),
		"Digest-AKAv1-MD5"
	);
	assert!(sqn_of(item) > last_sqn);
	// AKAv2 is allowed too; a scheme the IMPI may not use, or that does not
	// exist, is refused.
	let answer = ask(&w, mar("alice@ims.test", "sip:alice@ims.test", "Digest-AKAv2-MD5", 1)).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	let answer = ask(&w, mar("bob@ims.test", "sip:bob@ims.test", "Digest-AKAv1-MD5", 1)).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_AUTH_SCHEME_NOT_SUPPORTED));
	let answer =
		ask(&w, mar("alice@ims.test", "sip:alice@ims.test", "NASS-Bundled-Nonsense", 1)).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_AUTH_SCHEME_NOT_SUPPORTED));
	// Unknown and mismatched users.
	let answer = ask(&w, mar("eve@ims.test", "sip:eve@ims.test", "Digest-AKAv1-MD5", 1)).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_USER_UNKNOWN));
	let answer = ask(&w, mar("bob@ims.test", "sip:alice@ims.test", "Digest-AKAv1-MD5", 1)).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_IDENTITIES_DONT_MATCH));
	// A wrongly typed item: the scheme as a number.
	let bad = request(command::MULTIMEDIA_AUTH)
		.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test"))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "sip:alice@ims.test"))
		.with(Avp::grouped_of(
			&avp::SIP_AUTH_DATA_ITEM,
			vec![Avp::octets_of(&avp::SIP_AUTHENTICATION_SCHEME, vec![0xff, 0xfe])],
		));
	assert_eq!(codes(&ask(&w, bad).await), (Some(result::INVALID_AVP_VALUE), None));
}

#[tokio::test(flavor = "multi_thread")]
async fn mar_with_auts_resynchronises() {
	let w = world();
	let answer = ask(&w, mar("alice@ims.test", "sip:alice@ims.test", "Digest-AKAv1-MD5", 1)).await;
	let refused = items(&answer)[0];
	let challenge = child(refused, &avp::SIP_AUTHENTICATE).octets(&avp::SIP_AUTHENTICATE).unwrap();
	let rand: [u8; 16] = challenge[..16].try_into().unwrap();
	// The USIM has seen SQN 1,000,000 and sends AUTS.
	let sqn_ms = 1_000_000u64;
	let m = Milenage::new(&K, &OPC);
	let ak_star = m.f5_star(&rand);
	let mut authorization = rand.to_vec();
	authorization.extend(auth::sqn_bytes(sqn_ms).iter().zip(ak_star).map(|(s, a)| s ^ a));
	authorization.extend(m.f1_star(&rand, &auth::sqn_bytes(sqn_ms), &[0, 0]));
	let resync = request(command::MULTIMEDIA_AUTH)
		.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test"))
		.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "sip:alice@ims.test"))
		.with(Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, 1))
		.with(Avp::grouped_of(
			&avp::SIP_AUTH_DATA_ITEM,
			vec![
				Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5"),
				Avp::octets_of(&avp::SIP_AUTHORIZATION, authorization.clone()),
			],
		));
	let answer = ask(&w, resync.clone()).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert_eq!(sqn_of(items(&answer)[0]), sqn_ms + auth::SQN_STEP);
	assert_eq!(last_record(&w).await.1.activity, Activity::Resynchronisation);

	// A forged AUTS: vectors still come, SQN is not moved back or forth.
	let mut forged = resync;
	let mut bad = authorization;
	bad[29] ^= 0xff;
	forged.avps.retain(|a| !a.is(&avp::SIP_AUTH_DATA_ITEM));
	forged.push(Avp::grouped_of(
		&avp::SIP_AUTH_DATA_ITEM,
		vec![
			Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5"),
			Avp::octets_of(&avp::SIP_AUTHORIZATION, bad),
		],
	));
	let answer = ask(&w, forged).await;
	assert_eq!(sqn_of(items(&answer)[0]), sqn_ms + 2 * auth::SQN_STEP);
}

#[tokio::test(flavor = "multi_thread")]
async fn sar_assigns_reports_and_downloads_the_profile() {
	let w = world();
	let alice_sip = impu_id(&w.alice, "sip:alice@ims.test");
	let alice_tel = impu_id(&w.alice, "tel:+15550100");
	let answer = ask(
		&w,
		sar("sip:alice@ims.test", assignment::REGISTRATION)
			.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test")),
	)
	.await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert_eq!(answer.required_utf8(&avp::USER_NAME).unwrap(), "alice@ims.test");
	let xml = String::from_utf8(
		answer.find(&avp::USER_DATA).unwrap().octets(&avp::USER_DATA).unwrap().to_vec(),
	)
	.unwrap();
	assert!(xml.contains("<PrivateID>alice@ims.test</PrivateID>"), "{xml}");
	assert!(xml.contains("<Identity>sip:alice@ims.test</Identity>"), "{xml}");
	assert!(xml.contains("<Identity>tel:+15550100</Identity>"), "the whole implicit set: {xml}");
	// The registration report is journaled, and the state stands for both
	// members at once.
	let reports = {
		w.journal.settle().await.unwrap();
		w.journal.pending_registrations(10)
	}
	.unwrap();
	assert_eq!(reports.len(), 1);
	assert_eq!(reports[0].1.impu, alice_sip);
	assert_eq!(reports[0].1.state, RegistrationState::Registered);
	assert_eq!(
		reports[0].1.scscf.as_ref().map(|s| s.to_vec()),
		Some(b"sip:scscf.ims.test:6060".to_vec())
	);
	assert_eq!(
		w.index.impu(&alice_tel).unwrap().impu.registration.state,
		RegistrationState::Registered
	);
	assert_eq!(last_record(&w).await.1.activity, Activity::Registration);
	// LIR now finds the S-CSCF.
	let answer = ask(&w, lir("tel:+15550100")).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert_eq!(
		answer.find(&avp::SERVER_NAME).unwrap().utf8(&avp::SERVER_NAME).unwrap(),
		"sip:scscf.ims.test:6060"
	);

	// Re-registration changes nothing: no new report.
	let answer = ask(&w, sar("sip:alice@ims.test", assignment::RE_REGISTRATION)).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert_eq!(
		answer.required_utf8(&avp::USER_NAME).unwrap(),
		"alice@ims.test",
		"the linked IMPI by default"
	);
	assert_eq!(
		{
			w.journal.settle().await.unwrap();
			w.journal.pending_registrations(10)
		}
		.unwrap()
		.len(),
		1
	);
	assert_eq!(last_record(&w).await.1.activity, Activity::ReRegistration);

	// No assignment: the profile only.
	let answer = ask(&w, sar("sip:alice@ims.test", assignment::NO_ASSIGNMENT)).await;
	assert!(answer.find(&avp::USER_DATA).is_some());
	assert_eq!(
		{
			w.journal.settle().await.unwrap();
			w.journal.pending_registrations(10)
		}
		.unwrap()
		.len(),
		1
	);

	// User deregistration: reported, no profile, LIR says not registered.
	let answer = ask(&w, sar("sip:alice@ims.test", assignment::USER_DEREGISTRATION)).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert!(answer.find(&avp::USER_DATA).is_none());
	let reports = {
		w.journal.settle().await.unwrap();
		w.journal.pending_registrations(10)
	}
	.unwrap();
	assert_eq!(reports.len(), 2);
	assert_eq!(
		(reports[1].1.state, reports[1].1.scscf.clone()),
		(RegistrationState::NotRegistered, None)
	);
	assert_eq!(last_record(&w).await.1.activity, Activity::Deregistration);
	let answer = ask(&w, lir("sip:alice@ims.test")).await;
	assert_eq!(codes(&answer).1, Some(experimental::ERROR_IDENTITY_NOT_REGISTERED));

	// Unregistered user: an S-CSCF serves it unregistered.
	ask(&w, sar("sip:alice@ims.test", assignment::UNREGISTERED_USER)).await;
	assert_eq!(
		w.index.impu(&alice_sip).unwrap().impu.registration.state,
		RegistrationState::Unregistered
	);
	assert_eq!(last_record(&w).await.1.activity, Activity::UnregisteredService);

	// Errors: unknown user, a foreign IMPI, an assignment type out of range,
	// a missing Server-Name.
	assert_eq!(
		codes(&ask(&w, sar("sip:eve@ims.test", 1)).await).1,
		Some(experimental::ERROR_USER_UNKNOWN)
	);
	let foreign = sar("sip:alice@ims.test", 1).with(Avp::utf8_of(&avp::USER_NAME, "bob@ims.test"));
	assert_eq!(codes(&ask(&w, foreign).await).1, Some(experimental::ERROR_IDENTITIES_DONT_MATCH));
	assert_eq!(
		codes(&ask(&w, sar("sip:alice@ims.test", 12)).await),
		(Some(result::INVALID_AVP_VALUE), None)
	);
	let mut nameless = sar("sip:alice@ims.test", 1);
	nameless.avps.retain(|a| !a.is(&avp::SERVER_NAME));
	assert_eq!(codes(&ask(&w, nameless).await), (Some(result::MISSING_AVP), None));
}

#[tokio::test(flavor = "multi_thread")]
async fn lir_for_unregistered_services() {
	let w = world();
	// Without criteria for the unregistered state: not registered.
	assert_eq!(
		codes(&ask(&w, lir("sip:alice@ims.test")).await).1,
		Some(experimental::ERROR_IDENTITY_NOT_REGISTERED)
	);
	// With a criterion that applies while unregistered: 2003 and an S-CSCF.
	let mut view = view_of(&w.alice, "sip:alice@ims.test");
	view.profiles[0].ifcs.push(IfcView {
		priority: 1,
		trigger_point: None,
		application_server_id: 1,
		application_server: ApplicationServer {
			server_name: name("sip:vm.ims.test"),
			default_handling: DefaultHandling::SessionContinued,
			service_info: None,
			include_register_request: false,
			include_register_response: false,
		},
		profile_part: Some(ProfilePart::Unregistered),
	});
	w.index.apply(Update {
		impus: vec![(impu_id(&w.alice, "sip:alice@ims.test"), Some(view))],
		..Default::default()
	});
	let answer = ask(&w, lir("sip:alice@ims.test")).await;
	assert_eq!(codes(&answer).1, Some(experimental::UNREGISTERED_SERVICE));
	assert_eq!(answer.required_utf8(&avp::SERVER_NAME).unwrap(), "sip:scscf.ims.test:6060");
	assert_eq!(last_record(&w).await.1.activity, Activity::LocationQuery);
	// Unknown identity.
	assert_eq!(
		codes(&ask(&w, lir("sip:eve@ims.test")).await).1,
		Some(experimental::ERROR_USER_UNKNOWN)
	);
}

/// Alice's view as the chain holds it once registered at `scscf`.
fn registered_at(w: &World, impu: &str, scscf: &str) -> Arc<ServerAssignmentView> {
	let mut view = view_of(&w.alice, impu);
	view.impu.registration =
		RegistrationView { state: RegistrationState::Registered, scscf: Some(name(scscf)) };
	Arc::new(view)
}

#[tokio::test]
async fn after_a_restart_the_rtr_target_comes_from_the_chain_and_the_configured_s_cscf() {
	// A bridge that has seen no SAR (restarted), with the S-CSCF's
	// Server-Name in its configuration.
	let w = world_with(CxConfig {
		scscf_peers: vec![("sip:scscf.ims.test:6060".into(), "scscf.ims.test".into())],
		..CxConfig::default()
	});
	let alice_sip = impu_id(&w.alice, "sip:alice@ims.test");
	let before = registered_at(&w, "sip:alice@ims.test", "sip:scscf.ims.test:6060");
	let served = w.cx.served_by_chain(&alice_sip, &before).expect("a target");
	assert_eq!(&*served.peer, "scscf.ims.test");
	assert_eq!((&*served.impu, &*served.impi), ("sip:alice@ims.test", "alice@ims.test"));
	assert_eq!(served.members.len(), 2, "the whole implicit set is terminated at once");
	assert_eq!(served.realm, 1);
	// Registered at an S-CSCF no peer uses: nobody to send it to.
	let elsewhere = registered_at(&w, "sip:alice@ims.test", "sip:other.ims.test");
	assert!(w.cx.served_by_chain(&alice_sip, &elsewhere).is_none());
	// Not registered: no RTR.
	let idle = Arc::new(view_of(&w.alice, "sip:alice@ims.test"));
	assert!(w.cx.served_by_chain(&alice_sip, &idle).is_none());
	// Erased from the vault already: no cleartext, no RTR.
	w.vault.erase(&w.alice.handle()).unwrap();
	assert!(w.cx.served_by_chain(&alice_sip, &before).is_none());
}

#[tokio::test]
async fn s_cscf_names_are_learned_from_sars() {
	let w = world();
	let alice_sip = impu_id(&w.alice, "sip:alice@ims.test");
	let before = registered_at(&w, "sip:alice@ims.test", "sip:scscf.ims.test:6060");
	assert!(w.cx.served_by_chain(&alice_sip, &before).is_none(), "not known yet");
	// Any SAR from that S-CSCF teaches the bridge its Diameter peer.
	let answer = ask(
		&w,
		sar("tel:+15550100", assignment::REGISTRATION)
			.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test")),
	)
	.await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	let served = w.cx.served_by_chain(&alice_sip, &before).expect("learned");
	assert_eq!(*served.peer, *peer().origin_host);
}

#[tokio::test]
async fn a_sar_to_this_bridge_is_an_rtr_target_before_the_chain_shows_it() {
	let w = world();
	let alice_sip = impu_id(&w.alice, "sip:alice@ims.test");
	let alice_tel = impu_id(&w.alice, "tel:+15550100");
	let gone = |w: &World| vec![(alice_sip, w.index.impu(&alice_sip).unwrap())];
	assert!(w.cx.termination_targets(&gone(&w)).is_empty(), "not registered");
	let register = sar("tel:+15550100", assignment::REGISTRATION);
	assert_eq!(codes(&ask(&w, register).await), (Some(result::SUCCESS), None));
	// The index holds the SAR's registration until the chain shows it; the
	// target is built from it and the vault, nothing kept per SAR.
	let targets = w.cx.termination_targets(&gone(&w));
	let [target] = targets.as_slice() else { panic!("one target: {targets:?}") };
	assert_eq!((&*target.peer, &*target.scscf), ("scscf.ims.test", "sip:scscf.ims.test:6060"));
	assert_eq!((&*target.impu, &*target.impi), ("sip:alice@ims.test", "alice@ims.test"));
	assert_eq!(target.members.as_slice(), [alice_sip, alice_tel]);
	assert!(w.cx.kept.lock().unwrap().is_empty());
	// Deregistered by the S-CSCF: nobody to tell any more.
	let deregister = sar("tel:+15550100", assignment::USER_DEREGISTRATION);
	assert_eq!(codes(&ask(&w, deregister).await), (Some(result::SUCCESS), None));
	assert!(w.cx.termination_targets(&gone(&w)).is_empty());
}

#[tokio::test]
async fn a_subscriber_removed_through_the_bridge_keeps_its_rtr_target() {
	// Restarted (no SAR seen), Alice registered on chain, the S-CSCF's name
	// configured: her names are in the vault only.
	let w = world_with(CxConfig {
		scscf_peers: vec![("sip:scscf.ims.test:6060".into(), "scscf.ims.test".into())],
		..CxConfig::default()
	});
	let scscf = "sip:scscf.ims.test:6060";
	let alice_sip = impu_id(&w.alice, "sip:alice@ims.test");
	let alice_tel = impu_id(&w.alice, "tel:+15550100");
	w.index.apply(Update {
		impus: [("sip:alice@ims.test", alice_sip), ("tel:+15550100", alice_tel)]
			.into_iter()
			.map(|(impu, id)| (id, Some((*registered_at(&w, impu, scscf)).clone())))
			.collect(),
		..Default::default()
	});
	// Bob is not registered: nothing to keep.
	let bob = w.vault.find(Kind::Impu, "sip:bob@ims.test").unwrap().unwrap();
	assert_eq!(w.cx.keep_for_termination(&bob), 0);
	// Alice's implicit set is kept once, for both of its identities.
	assert_eq!(w.cx.keep_for_termination(&w.alice), 1);
	assert_eq!(w.cx.keep_for_termination(&w.alice), 0, "kept already");
	// The subscriber leaves the vault, then the chain's removal is
	// finalized: the target is still known, with its names in clear.
	w.vault.erase(&w.alice.handle()).unwrap();
	let before = registered_at(&w, "sip:alice@ims.test", scscf);
	assert!(w.cx.served_by_chain(&alice_sip, &before).is_none(), "the vault has no names");
	let kept = w.cx.kept.lock().unwrap();
	for id in [alice_sip, alice_tel] {
		let target = kept.get(&id).expect("kept");
		assert_eq!(&*target.peer, "scscf.ims.test");
		assert_eq!(&*target.scscf, scscf);
		assert_eq!((&*target.impu, &*target.impi), ("sip:alice@ims.test", "alice@ims.test"));
		assert_eq!(target.members.as_slice(), [alice_sip, alice_tel]);
	}
	drop(kept);
	// An identity registered at an S-CSCF no peer uses is not kept.
	let carol = w.vault.find(Kind::Impu, "sip:carol@ims.test").unwrap().unwrap();
	let carol_id = impu_id(&carol, "sip:carol@ims.test");
	let mut elsewhere = view_of(&carol, "sip:carol@ims.test");
	elsewhere.impu.registration = RegistrationView {
		state: RegistrationState::Registered,
		scscf: Some(name("sip:other.ims.test")),
	};
	w.index.apply(Update { impus: vec![(carol_id, Some(elsewhere))], ..Default::default() });
	assert_eq!(w.cx.keep_for_termination(&carol), 0);
}

#[tokio::test]
async fn a_request_outside_the_peers_role_is_refused_and_audited() {
	let w = world();
	let alice = impu_id(&w.alice, "sip:alice@ims.test");
	let answer = ask_from(&w, &peer(), uar("alice@ims.test", "sip:alice@ims.test")).await;
	assert_eq!(codes(&answer), (Some(result::AUTHORIZATION_REJECTED), None));
	let (_, record) = last_record(&w).await;
	assert_eq!(record.subject, Subject::Impu(alice));
	assert_eq!(record.activity, Activity::AccessDenied(Denial::PeerRole));
	assert_eq!(record.result, result::AUTHORIZATION_REJECTED);
	assert_eq!(record.peer, Peer::Diameter(Token::truncate_from(b"scscf.ims.test".to_vec())));

	let mar = mar("alice@ims.test", "sip:alice@ims.test", "SIP Digest", 1);
	let answer = ask_from(&w, &icscf(), mar).await;
	assert_eq!(codes(&answer), (Some(result::AUTHORIZATION_REJECTED), None));
	assert!(answer.find(&avp::SIP_AUTH_DATA_ITEM).is_none(), "no credentials");
	let (_, record) = last_record(&w).await;
	assert_eq!(record.activity, Activity::AccessDenied(Denial::PeerRole));
	assert_eq!(record.peer, Peer::Diameter(Token::truncate_from(b"icscf.ims.test".to_vec())));

	// An unknown identity is recorded under its unlinkable pseudonym.
	let answer = ask_from(&w, &icscf(), sar("sip:nobody@ims.test", assignment::REGISTRATION)).await;
	assert_eq!(codes(&answer), (Some(result::AUTHORIZATION_REJECTED), None));
	let (_, record) = last_record(&w).await;
	let unknown = w.vault.unknown_pseudonym(Kind::Impu, "sip:nobody@ims.test");
	assert_eq!(record.subject, Subject::Unknown(ImpuId::from(unknown)));
}

#[tokio::test]
async fn a_sar_naming_another_s_cscf_is_refused_and_changes_nothing() {
	let w = world();
	let alice = impu_id(&w.alice, "sip:alice@ims.test");
	let mut hijack = sar("sip:alice@ims.test", assignment::REGISTRATION)
		.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test"));
	hijack.avps.retain(|a| !a.is(&avp::SERVER_NAME));
	hijack.push(Avp::utf8_of(&avp::SERVER_NAME, "sip:evil.ims.test:6060"));
	let answer = ask(&w, hijack).await;
	assert_eq!(codes(&answer), (Some(result::AUTHORIZATION_REJECTED), None));
	assert!(answer.find(&avp::USER_DATA).is_none(), "no profile");
	let view = w.index.impu(&alice).unwrap();
	assert_eq!(view.impu.registration.state, RegistrationState::NotRegistered);
	let (_, record) = last_record(&w).await;
	assert_eq!(record.subject, Subject::Impu(alice));
	assert_eq!(record.activity, Activity::AccessDenied(Denial::ServerNameMismatch));
	// Its own name, in another case, is its own.
	let mut own = sar("sip:alice@ims.test", assignment::REGISTRATION)
		.with(Avp::utf8_of(&avp::USER_NAME, "alice@ims.test"));
	own.avps.retain(|a| !a.is(&avp::SERVER_NAME));
	own.push(Avp::utf8_of(&avp::SERVER_NAME, "SIP:SCSCF.ims.test:6060"));
	assert_eq!(codes(&ask(&w, own).await), (Some(result::SUCCESS), None));
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_mars_cannot_push_the_sqn_past_the_budget_and_a_resync_still_goes() {
	let w = world_with(CxConfig {
		max_auth_items: 3,
		aka_vector_burst: 4,
		aka_vectors_per_minute: 1,
		..CxConfig::default()
	});
	let ask_aka = |items| mar("alice@ims.test", "sip:alice@ims.test", "Digest-AKAv1-MD5", items);
	let answer = ask(&w, ask_aka(3)).await;
	assert_eq!(items(&answer).len(), 3);
	let answer = ask(&w, ask_aka(3)).await;
	let last = items(&answer);
	assert_eq!(last.len(), 1, "one vector left of four");
	let last_sqn = sqn_of(last[0]);
	assert!(last_sqn < 1_000_000);
	// None left: 5003, audited, and the SQN did not move.
	let answer = ask(&w, ask_aka(1)).await;
	assert_eq!(codes(&answer), (Some(result::AUTHORIZATION_REJECTED), None));
	assert!(answer.find(&avp::SIP_AUTH_DATA_ITEM).is_none());
	let (_, record) = last_record(&w).await;
	assert_eq!(record.activity, Activity::AuthenticationChallenge(AuthScheme::AkaV1Md5));
	assert_eq!(record.result, result::AUTHORIZATION_REJECTED);
	// A resynchronisation is never held back.
	let rand = [7u8; 16];
	// Ahead of every SQN the vault reserved: a resync only moves forward.
	let sqn_ms = 1_000_000u64;
	let m = Milenage::new(&K, &OPC);
	let mut authorization = rand.to_vec();
	let ak_star = m.f5_star(&rand);
	authorization.extend(auth::sqn_bytes(sqn_ms).iter().zip(ak_star).map(|(s, a)| s ^ a));
	authorization.extend(m.f1_star(&rand, &auth::sqn_bytes(sqn_ms), &[0, 0]));
	let resync = ask_aka(1).with(Avp::grouped_of(
		&avp::SIP_AUTH_DATA_ITEM,
		vec![
			Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5"),
			Avp::octets_of(&avp::SIP_AUTHORIZATION, authorization),
		],
	));
	let mut resync = resync;
	let first = resync.avps.iter().position(|a| a.is(&avp::SIP_AUTH_DATA_ITEM)).unwrap();
	resync.avps.remove(first);
	let answer = ask(&w, resync).await;
	assert_eq!(codes(&answer), (Some(result::SUCCESS), None));
	assert_eq!(sqn_of(items(&answer)[0]), sqn_ms + auth::SQN_STEP);
}
