//! `[api]`: the provisioning API's listener, its TLS, its token file and
//! its limits (`docs/provisioning-api.md`).

use super::{owner_only, Checker};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `[api]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiFile {
	/// Address to serve the API on; none = no API.
	pub listen: Option<String>,
	/// HTTPS; without it the API is served over plain HTTP, on a loopback
	/// address only.
	pub tls: Option<ApiTlsFile>,
	/// The file of issued tokens (`ims-bridge api token`).
	#[serde(default = "default_tokens")]
	pub tokens: PathBuf,
	/// Requests a second each token may make on average.
	#[serde(default = "default_rate")]
	pub requests_per_second: u32,
	/// Requests a token may make in a burst above that.
	#[serde(default = "default_burst")]
	pub burst: u32,
	/// Most connections served at once.
	#[serde(default = "default_max_connections")]
	pub max_connections: usize,
}

impl Default for ApiFile {
	fn default() -> Self {
		ApiFile {
			listen: None,
			tls: None,
			tokens: default_tokens(),
			requests_per_second: default_rate(),
			burst: default_burst(),
			max_connections: default_max_connections(),
		}
	}
}

fn default_tokens() -> PathBuf {
	PathBuf::from("api-tokens.json")
}
fn default_rate() -> u32 {
	50
}
fn default_burst() -> u32 {
	100
}
fn default_max_connections() -> usize {
	64
}

/// `[api.tls]`: the API's certificate (clients authenticate with tokens).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTlsFile {
	/// PEM certificate chain.
	pub cert: PathBuf,
	/// PEM private key (mode 0600).
	pub key: PathBuf,
}

/// The API's settings, checked.
#[derive(Clone, Debug)]
pub struct ApiConfig {
	/// Where it listens; `None`: no API.
	pub listen: Option<SocketAddr>,
	/// Its certificate and key; `None`: plain HTTP on loopback.
	pub tls: Option<(PathBuf, PathBuf)>,
	/// The token file.
	pub tokens: PathBuf,
	/// Each token's sustained rate, per second.
	pub requests_per_second: u32,
	/// Each token's burst.
	pub burst: u32,
	/// Most connections at once.
	pub max_connections: usize,
}

impl Checker<'_> {
	/// `[api]`: a listen address, HTTPS unless it is loopback, positive
	/// limits.
	pub(super) fn api(&mut self, api: &ApiFile) -> ApiConfig {
		let listen = api.listen.as_ref().and_then(|listen| match listen.parse::<SocketAddr>() {
			Ok(address) => Some(address),
			Err(e) => {
				self.fail("api.listen", format!("{listen:?} is not an address and port: {e}"));
				None
			},
		});
		let tls = api.tls.as_ref().map(|tls| (self.at(&tls.cert), self.at(&tls.key)));
		if let Some((cert, key)) = &tls {
			if let Err(e) = owner_only(key) {
				self.fail("api.tls.key", format!("{}: {e}", key.display()));
			} else if let Err(e) = crate::server::tls_server_acceptor(cert, key) {
				self.fail("api.tls", e.to_string());
			}
		} else if let Some(address) = listen.filter(|a| !a.ip().is_loopback()) {
			self.fail(
				"api.listen",
				format!("{address} is not loopback: serve the API there over HTTPS ([api.tls])"),
			);
		}
		for (key, value) in [
			("api.requests_per_second", api.requests_per_second as usize),
			("api.burst", api.burst as usize),
			("api.max_connections", api.max_connections),
		] {
			if value == 0 {
				self.fail(key, "must be at least 1".into());
			}
		}
		ApiConfig {
			listen,
			tls,
			tokens: self.at(&api.tokens),
			requests_per_second: api.requests_per_second,
			burst: api.burst,
			max_connections: api.max_connections,
		}
	}
}
