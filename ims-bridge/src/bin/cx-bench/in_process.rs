//! The bridge's listener, Cx application, vault, journal and index in the
//! benchmark's own process.

use super::{measure, report, Args, REALM};
use ims_bridge::cx::{Cx, CxConfig};
use ims_bridge::diameter::peer::{AllowedPeer, Context, LocalIdentity, PeerPolicy, PeerRole};
use ims_bridge::index::{ImpiEntry, Index, Update};
use ims_bridge::journal::{Journal, JournalOptions};
use ims_bridge::metrics::Metrics;
use ims_bridge::pseudonym::Kind;
use ims_bridge::vault::{DigestSecret, PrivateIdentity, Subscriber, Vault, VaultKey};
use ims_primitives::{
	AuthScheme, AuthSchemes, ImpuId, ImpuKind, ImpuView, Name, ProfileView, PublicIdentityView,
	RegistrationState, RegistrationView, ServerAssignmentView,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn name(text: &str) -> Name {
	Name::truncate_from(text.as_bytes().to_vec())
}

fn view_of(s: &Subscriber, impu: &str, scscf: &str) -> ServerAssignmentView {
	let id = ImpuId::from(s.pseudonym(Kind::Impu, impu));
	ServerAssignmentView {
		impu: ImpuView {
			impu: id,
			realm: 0,
			realm_name: name(REALM),
			subscription: ImpuId::from(s.handle()),
			kind: ImpuKind::PublicIdentity,
			barred: false,
			can_register: true,
			implicit_set: Some(1),
			all_barred: false,
			roaming: Default::default(),
			registration: RegistrationView {
				state: RegistrationState::Registered,
				scscf: Some(name(scscf)),
			},
		},
		associated_impis: s
			.impis
			.iter()
			.map(|i| ImpuId::from(s.pseudonym(Kind::Impi, &i.identity)))
			.collect(),
		profiles: vec![ProfileView {
			id: 0,
			name: name("basic"),
			identities: vec![PublicIdentityView {
				impu: id,
				kind: ImpuKind::PublicIdentity,
				barred: false,
			}],
			ifcs: vec![],
			shared_ifc_sets: vec![],
			subscribed_media_profile: None,
		}],
		charging: None,
	}
}

/// A vault and an index holding `args.subscribers` SIP Digest subscribers,
/// each registered at `scscf`.
fn subscribers(args: &Args, dir: &Path, scscf: &str) -> (Arc<Vault>, Arc<Index>) {
	let vault = Arc::new(
		Vault::open_with_cache(
			&dir.join("vault.redb"),
			&VaultKey::from_bytes([7; 32]),
			args.vault_cache,
		)
		.expect("vault"),
	);
	let index = Arc::new(Index::default());
	let mut update = Update {
		realms: Some([(REALM.to_string(), 0)].into_iter().collect()),
		..Default::default()
	};
	for user in args.first..args.first + args.subscribers {
		let impi = format!("user{user}@{REALM}");
		let impu = format!("sip:user{user}@{REALM}");
		let mut s = Subscriber::new(format!("user{user}"));
		s.impis.push(PrivateIdentity {
			identity: impi.clone(),
			aka: None,
			digest: Some(DigestSecret {
				realm: REALM.into(),
				ha1: ims_bridge::auth::digest_ha1(&impi, REALM, "secret"),
				password: None,
			}),
		});
		s.impus.push(impu.clone());
		vault.put(&s).expect("subscriber stored");
		update
			.impus
			.push((ImpuId::from(s.pseudonym(Kind::Impu, &impu)), Some(view_of(&s, &impu, scscf))));
		update.impis.push((
			ImpuId::from(s.pseudonym(Kind::Impi, &impi)),
			Some(ImpiEntry {
				subscription: ImpuId::from(s.handle()),
				schemes: AuthSchemes::of(&[AuthScheme::SipDigest]),
				default_scheme: AuthScheme::SipDigest,
				credential_epoch: 0,
			}),
		));
	}
	index.apply(update);
	(vault, index)
}

/// The Cx application over `vault`, `index` and `journal`, as a context the
/// listener serves to the benchmark's client peer.
fn context(
	args: &Args,
	vault: Arc<Vault>,
	index: Arc<Index>,
	journal: Journal,
) -> Arc<Context<Cx>> {
	let local = LocalIdentity {
		origin_host: "hss.bench".into(),
		origin_realm: REALM.into(),
		host_ip: "127.0.0.1".parse().expect("an address"),
		product_name: "ims-bridge".into(),
	};
	let policy = PeerPolicy {
		requests_per_second: u32::MAX / 2,
		burst: 0,
		..PeerPolicy::new(vec![AllowedPeer {
			origin_host: args.origin_host.clone(),
			origin_realm: REALM.into(),
			addresses: vec!["127.0.0.1".parse().expect("an address")],
			role: PeerRole::SCscf { server_name: args.scscf.clone() },
			max_connections: 64,
			plain_tcp: false,
		}])
	};
	let metrics = Arc::new(Metrics::new().expect("metrics"));
	let cx = Cx::new(local.clone(), CxConfig::default(), index, vault, journal, metrics);
	Arc::new(Context::new(local, policy, cx))
}

/// The bridge's listener and Cx application in this process, over a vault,
/// journal and index of `--subscribers` made here.
pub(super) async fn in_process(args: &Args) {
	let dir = std::env::temp_dir().join(format!("cx-bench-{}", std::process::id()));
	std::fs::create_dir_all(&dir).expect("a temporary directory");
	let (vault, index) = subscribers(args, &dir, &args.scscf);
	let options = JournalOptions {
		sync: args.sync,
		flush_interval: Duration::from_millis(args.flush_interval_ms),
		..JournalOptions::default()
	};
	let journal = Journal::open_with(&dir.join("journal.redb"), options).expect("journal");
	let ctx = context(args, vault, index, journal.clone());
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
	let address = listener.local_addr().expect("an address");
	let shutdown = tokio_util::sync::CancellationToken::new();
	let connections = args.connections + 1;
	let server =
		tokio::spawn(ims_bridge::server::run(listener, ctx, connections, None, shutdown.clone()));

	let (latencies, errors, measured) = measure(args, address).await;
	journal.settle().await.expect("the journal settles");
	let journaled = journal.depth().map(|d| d.0).unwrap_or(0);
	report(args, measured, &latencies, errors, Some(journaled));
	shutdown.cancel();
	let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
	drop(journal);
	let _ = std::fs::remove_dir_all(&dir);
}
