//! `[[diameter.peers]]`: the peers allowed to connect, each with its
//! Origin-Host and Origin-Realm, its addresses, its role and how many
//! connections it may hold (`docs/diameter-peers.md`).

use super::{is_sip_uri, Checker, DiameterFile};
use crate::diameter::peer::{AllowedPeer, PeerRole};
use serde::Deserialize;
use std::net::IpAddr;

/// `[[diameter.peers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerFile {
	/// The Origin-Host it presents.
	pub origin_host: String,
	/// The Origin-Realm it presents (default: ours, `[diameter]
	/// origin_realm`).
	pub origin_realm: Option<String>,
	/// Addresses it connects from.
	pub addresses: Vec<String>,
	/// `"i-cscf"` (UAR, LIR) or `"s-cscf"` (MAR, SAR; answers RTR).
	pub role: Role,
	/// For an S-CSCF, required: the SIP URI it sends as Server-Name in its
	/// SARs, the only one it may name. An RTR for an identity the chain
	/// holds registered at that S-CSCF goes to this peer.
	#[serde(default)]
	pub server_name: Option<String>,
	/// Most connections it may hold open at once.
	#[serde(default = "default_peer_connections")]
	pub max_connections: usize,
	/// It may connect over plain TCP from another host: only for a path
	/// protected otherwise (IPsec), and warned about at every start.
	#[serde(default)]
	pub plain_tcp: bool,
}

/// A peer's role as written.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum Role {
	/// An I-CSCF.
	#[serde(rename = "i-cscf")]
	ICscf,
	/// An S-CSCF.
	#[serde(rename = "s-cscf")]
	SCscf,
}

/// Kamailio's cdp keeps one connection to each peer; a few more leave room
/// for a reconnection racing the old connection's close.
fn default_peer_connections() -> usize {
	4
}

impl Checker<'_> {
	/// `[[diameter.peers]]`: the allow-list. A peer connecting from another
	/// host needs mutual TLS (`tls`) unless it is marked `plain_tcp`.
	pub(super) fn peers(&mut self, d: &DiameterFile, tls: bool) -> Vec<AllowedPeer> {
		if d.peers.is_empty() {
			self.fail(
				"diameter.peers",
				"no peer is allowed to connect; add [[diameter.peers]]".into(),
			);
		}
		let mut allowed = Vec::new();
		for (i, peer) in d.peers.iter().enumerate() {
			let key = |field: &str| format!("diameter.peers[{i}].{field}");
			if peer.origin_host.trim().is_empty() {
				self.fail(&key("origin_host"), "must not be empty".into());
			}
			if peer.origin_realm.as_ref().is_some_and(|r| r.trim().is_empty()) {
				self.fail(&key("origin_realm"), "must not be empty".into());
			}
			if peer.max_connections == 0 {
				self.fail(&key("max_connections"), "must be at least 1".into());
			}
			let addresses = self.addresses(&key("addresses"), &peer.addresses);
			if !tls && !peer.plain_tcp && addresses.iter().any(|a| !a.is_loopback()) {
				let message =
					"connects from another host: configure [diameter.tls] for mutual TLS, \
				               or set plain_tcp = true for a path protected otherwise";
				self.fail(&key("addresses"), message.into());
			}
			let Some(role) = self.role(&key("server_name"), peer) else { continue };
			allowed.push(AllowedPeer {
				origin_host: peer.origin_host.clone(),
				origin_realm: peer.origin_realm.clone().unwrap_or_else(|| d.origin_realm.clone()),
				addresses,
				role,
				max_connections: peer.max_connections,
				plain_tcp: peer.plain_tcp,
			});
		}
		allowed
	}

	/// A peer's addresses: at least one, each an IP address.
	fn addresses(&mut self, key: &str, written: &[String]) -> Vec<IpAddr> {
		if written.is_empty() {
			self.fail(key, "must list at least one address".into());
		}
		let mut addresses = Vec::new();
		for a in written {
			match a.parse::<IpAddr>() {
				Ok(ip) => addresses.push(ip),
				Err(e) => self.fail(key, format!("{a:?} is not an IP address: {e}")),
			}
		}
		addresses
	}

	/// A peer's role: an S-CSCF with the SIP URI it names itself by, an
	/// I-CSCF with none.
	fn role(&mut self, key: &str, peer: &PeerFile) -> Option<PeerRole> {
		match (peer.role, &peer.server_name) {
			(Role::ICscf, None) => Some(PeerRole::ICscf),
			(Role::ICscf, Some(_)) => {
				self.fail(key, "only an s-cscf names itself in SARs; remove it".into());
				None
			},
			(Role::SCscf, None) => {
				let message = "an s-cscf needs the SIP URI it sends as Server-Name";
				self.fail(key, message.into());
				None
			},
			(Role::SCscf, Some(name)) if !is_sip_uri(name) => {
				self.fail(key, format!("{name:?} is not a SIP URI"));
				None
			},
			(Role::SCscf, Some(name)) => Some(PeerRole::SCscf { server_name: name.clone() }),
		}
	}
}
