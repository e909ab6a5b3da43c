//! How a connection reached the bridge, and whether that is enough for the
//! peer its CER names (`docs/diameter-peers.md`, "Mutual TLS"): over TLS,
//! the client certificate the operator's CA signed must name the peer's
//! Origin-Host; over plain TCP, the peer must connect from loopback (a
//! tunnel's end on this host) or be marked `plain_tcp` in the
//! configuration.

use super::AllowedPeer;
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::IpAddr;

/// The connection's transport.
#[derive(Clone, Debug)]
pub enum Transport {
	/// Plain TCP.
	Plain,
	/// TLS, with the client certificate the handshake verified against the
	/// operator's CA.
	Tls {
		/// The client's end-entity certificate.
		certificate: CertificateDer<'static>,
	},
}

/// Why a transport is not enough for a peer.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum Unfit {
	/// Plain TCP from another host, for a peer not marked `plain_tcp`.
	#[error("plain TCP from another host; this peer must use TLS")]
	Plain,
	/// The certificate does not name the peer's Origin-Host.
	#[error("the client certificate does not name {0}")]
	OtherName(String),
}

impl Transport {
	/// Its name in the logs: `tcp` or `tls`.
	pub fn name(&self) -> &'static str {
		match self {
			Transport::Plain => "tcp",
			Transport::Tls { .. } => "tls",
		}
	}

	/// Whether this transport, from `address`, is enough for `peer`.
	pub(super) fn admits(&self, peer: &AllowedPeer, address: IpAddr) -> Result<(), Unfit> {
		match self {
			Transport::Plain if address.is_loopback() || peer.plain_tcp => Ok(()),
			Transport::Plain => Err(Unfit::Plain),
			Transport::Tls { certificate } => {
				let other = || Unfit::OtherName(peer.origin_host.clone());
				let parsed = rustls::server::ParsedCertificate::try_from(certificate)
					.map_err(|_| other())?;
				let name = ServerName::try_from(peer.origin_host.as_str()).map_err(|_| other())?;
				rustls::client::verify_server_name(&parsed, &name).map_err(|_| other())
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::diameter::peer::PeerRole;

	fn peer(plain_tcp: bool) -> AllowedPeer {
		AllowedPeer {
			origin_host: "scscf.ims.test".into(),
			origin_realm: "ims.test".into(),
			addresses: vec![],
			role: PeerRole::ICscf,
			max_connections: 1,
			plain_tcp,
		}
	}

	fn certificate(names: &[&str]) -> Transport {
		let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
		let cert = rcgen::generate_simple_self_signed(names).unwrap();
		Transport::Tls { certificate: CertificateDer::from(cert.serialize_der().unwrap()) }
	}

	#[test]
	fn plain_tcp_is_for_loopback_or_a_peer_marked_for_it() {
		let (loopback, remote) = ("127.0.0.1".parse().unwrap(), "10.0.0.7".parse().unwrap());
		assert_eq!(Transport::Plain.admits(&peer(false), loopback), Ok(()));
		assert_eq!(Transport::Plain.admits(&peer(false), "::1".parse().unwrap()), Ok(()));
		assert_eq!(Transport::Plain.admits(&peer(false), remote), Err(Unfit::Plain));
		assert_eq!(Transport::Plain.admits(&peer(true), remote), Ok(()));
	}

	#[test]
	fn a_certificate_must_name_the_origin_host() {
		let remote = "10.0.0.7".parse().unwrap();
		let own = certificate(&["scscf.ims.test"]);
		assert_eq!(own.admits(&peer(false), remote), Ok(()));
		let other = certificate(&["icscf.ims.test"]);
		let refused = Err(Unfit::OtherName("scscf.ims.test".into()));
		assert_eq!(other.admits(&peer(false), remote), refused);
		let garbage =
			Transport::Tls { certificate: CertificateDer::from(vec![0x30, 0x03, 1, 2, 3]) };
		assert!(garbage.admits(&peer(false), remote).is_err());
	}
}
