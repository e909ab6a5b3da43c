//! `[diameter.tls]`: the bridge's certificate and the CA of its peers'
//! client certificates (`docs/diameter-peers.md`).

use super::{owner_only, Checker, DiameterFile};
use serde::Deserialize;
use std::path::PathBuf;

/// `[diameter.tls]`: mutual TLS.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
	/// PEM certificate chain.
	pub cert: PathBuf,
	/// PEM private key (mode 0600).
	pub key: PathBuf,
	/// PEM certificates of the CA that signs the peers' client
	/// certificates.
	pub client_ca: PathBuf,
}

/// The files of `[diameter.tls]`, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPaths {
	/// Our certificate chain.
	pub cert: PathBuf,
	/// Its key.
	pub key: PathBuf,
	/// The peers' CA.
	pub client_ca: PathBuf,
}

impl Checker<'_> {
	/// `[diameter] tls`: the certificate, key and client CA, loaded once to
	/// check them; the key's file must be the owner's alone.
	pub(super) fn tls(&mut self, d: &DiameterFile) -> Option<TlsPaths> {
		let t = d.tls.as_ref()?;
		let paths = TlsPaths {
			cert: self.at(&t.cert),
			key: self.at(&t.key),
			client_ca: self.at(&t.client_ca),
		};
		if let Err(e) = owner_only(&paths.key) {
			self.fail("diameter.tls.key", format!("{}: {e}", paths.key.display()));
		} else if let Err(e) =
			crate::server::tls_acceptor(&paths.cert, &paths.key, &paths.client_ca)
		{
			self.fail("diameter.tls", e.to_string());
		}
		Some(paths)
	}
}
