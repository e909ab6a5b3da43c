//! `[chain]`: the node's RPC and how the bridge reaches it, and the
//! bridge account's signer (`docs/submitter.md`, "The node's RPC").

use super::{secret_from_file, Checker};
use crate::chain::Endpoint;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;

/// `[chain]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainFile {
	/// The node's WebSocket RPC: `ws://` on this host only (loopback),
	/// e.g. `ws://127.0.0.1:9944`, otherwise `wss://`.
	pub url: String,
	/// With `wss://`: PEM certificates of the CA that signs the node's
	/// certificate, the only one trusted for it.
	pub ca: Option<PathBuf>,
	/// A file holding the bridge account's secret URI (`//Alice`, a
	/// mnemonic, or `0x` seed); must not be readable by group or others.
	pub signer_file: Option<PathBuf>,
	/// Or the environment variable holding it.
	pub signer_env: Option<String>,
}

impl Checker<'_> {
	/// `[chain] url` and `ca`: `ws://` only to loopback, `wss://` only with
	/// a CA that loads.
	pub(super) fn chain(&mut self, chain: &ChainFile) -> Endpoint {
		let ca = chain.ca.as_ref().map(|ca| self.at(ca));
		let endpoint = Endpoint { url: chain.url.clone(), ca: ca.clone() };
		let url = match url::Url::parse(&chain.url) {
			Ok(url) => url,
			Err(e) => {
				self.fail("chain.url", format!("{:?} is not a URL: {e}", chain.url));
				return endpoint;
			},
		};
		match (url.scheme(), &ca) {
			("ws", None) if is_loopback(&url) => {},
			("ws", None) => self.fail(
				"chain.url",
				format!(
					"{:?}: ws:// is only for a node on this host (loopback); use wss:// with \
					 [chain] ca",
					chain.url
				),
			),
			("ws", Some(_)) => self.fail("chain.ca", "applies only to a wss:// URL".into()),
			("wss", None) => self.fail(
				"chain.ca",
				"a wss:// URL needs the CA that signs the node's certificate".into(),
			),
			("wss", Some(ca)) => {
				if let Err(e) = crate::chain::pinned_tls(ca) {
					self.fail("chain.ca", e.to_string());
				}
			},
			(other, _) => self
				.fail("chain.url", format!("{:?}: {other}:// is not ws:// or wss://", chain.url)),
		}
		endpoint
	}

	/// `[chain] signer_file` or `signer_env`: the bridge account's secret URI.
	pub(super) fn signer(&mut self, chain: &ChainFile) -> Result<zeroize::Zeroizing<String>, ()> {
		match (&chain.signer_file, &chain.signer_env) {
			(Some(path), None) => {
				let path = self.at(path);
				secret_from_file(&path).map_err(|e| {
					self.fail("chain.signer_file", format!("{}: {e}", path.display()));
				})
			},
			(None, Some(var)) => std::env::var(var)
				.map(|v| zeroize::Zeroizing::new(v.trim().to_string()))
				.map_err(|_| {
					self.fail("chain.signer_env", format!("environment variable {var} is not set"))
				}),
			_ => {
				self.fail("chain", "give exactly one of signer_file and signer_env".into());
				Err(())
			},
		}
	}
}

/// Whether the URL's host is this host: `localhost` or a loopback address.
fn is_loopback(url: &url::Url) -> bool {
	match url.host() {
		Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
		Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
		Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
		None => false,
	}
}
