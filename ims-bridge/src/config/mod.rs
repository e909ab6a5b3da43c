//! `bridge.toml`: read, then checked as a whole before any port is bound,
//! so that an operator sees every mistake at once, each with the key it is
//! about.

use crate::cx::CxConfig;
use crate::diameter::peer::{LocalIdentity, PeerPolicy};
use crate::vault::{VaultError, VaultKey};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod api;
mod chain;
mod index;
mod journal;
mod peers;
mod tls;
pub use api::{ApiConfig, ApiFile, ApiTlsFile};
pub use chain::ChainFile;
pub use index::{IndexFile, MAX_SNAPSHOT_EVERY};
pub use journal::JournalFile;
pub use peers::{PeerFile, Role};
pub use tls::{TlsFile, TlsPaths};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
	/// The Diameter side.
	pub diameter: DiameterFile,
	/// How Cx is answered.
	#[serde(default)]
	pub cx: CxFile,
	/// The chain.
	pub chain: ChainFile,
	/// The vault.
	pub vault: VaultFile,
	/// The journal.
	pub journal: JournalFile,
	/// The index of finalized state.
	#[serde(default)]
	pub index: IndexFile,
	/// Prometheus metrics.
	#[serde(default)]
	pub metrics: MetricsFile,
	/// The admin socket.
	#[serde(default)]
	pub admin: AdminFile,
	/// The provisioning API.
	#[serde(default)]
	pub api: ApiFile,
}

/// `[diameter]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiameterFile {
	/// Address to listen on, e.g. `127.0.0.1:3868`.
	pub listen: String,
	/// Our Origin-Host.
	pub origin_host: String,
	/// Our Origin-Realm.
	pub origin_realm: String,
	/// Host-IP-Address of the CEA (default: the listen address, or
	/// 127.0.0.1 when that is unspecified).
	pub host_ip: Option<String>,
	/// Product-Name of the CEA.
	#[serde(default = "default_product")]
	pub product_name: String,
	/// Most connections at once.
	#[serde(default = "default_max_connections")]
	pub max_connections: usize,
	/// Requests per second each peer may send on average.
	#[serde(default = "default_rate")]
	pub requests_per_second: u32,
	/// Requests a peer may send in a burst above that.
	#[serde(default = "default_burst")]
	pub burst: u32,
	/// Largest message accepted, in bytes.
	#[serde(default = "default_max_message")]
	pub max_message_bytes: usize,
	/// Requests of one connection answered at once; beyond, the connection
	/// is not read until one is answered.
	#[serde(default = "default_in_flight")]
	pub max_in_flight: usize,
	/// A connection must have sent an accepted CER this long after it was
	/// accepted.
	#[serde(default = "default_cer_timeout")]
	pub cer_timeout_secs: u64,
	/// Tw of RFC 3539: a connection silent this long gets our DWR, and is
	/// closed if it stays silent as long again.
	#[serde(default = "default_watchdog")]
	pub watchdog_secs: u64,
	/// A peer that leaves our messages unread this long is disconnected.
	#[serde(default = "default_write_timeout")]
	pub write_timeout_secs: u64,
	/// TLS, if the peers use it.
	pub tls: Option<TlsFile>,
	/// Peers allowed to connect.
	#[serde(default)]
	pub peers: Vec<PeerFile>,
}

fn default_product() -> String {
	"ims-bridge".into()
}
fn default_max_connections() -> usize {
	64
}
fn default_rate() -> u32 {
	50_000
}
fn default_burst() -> u32 {
	10_000
}
fn default_max_message() -> usize {
	crate::diameter::codec::DEFAULT_MAX_MESSAGE
}
fn default_in_flight() -> usize {
	256
}
fn default_cer_timeout() -> u64 {
	10
}
/// RFC 3539's recommended Tw, and Kamailio cdp's default DWR interval.
fn default_watchdog() -> u64 {
	30
}
fn default_write_timeout() -> u64 {
	5
}

/// `[cx]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CxFile {
	/// S-CSCF named for first registrations and unregistered services.
	pub scscf_name: Option<String>,
	/// Hand plaintext passwords to S-CSCFs asking for Digest-MD5.
	#[serde(default)]
	pub digest_md5: bool,
	/// Most vectors per MAA.
	#[serde(default = "default_auth_items")]
	pub max_auth_items: u32,
	/// AKA vectors an IMPI may be given a minute, beyond its burst (each
	/// moves its SQN on).
	#[serde(default = "default_vectors_per_minute")]
	pub aka_vectors_per_minute: u32,
	/// AKA vectors an IMPI may be given at once.
	#[serde(default = "default_vector_burst")]
	pub aka_vector_burst: u32,
}

fn default_vectors_per_minute() -> u32 {
	CxConfig::default().aka_vectors_per_minute
}
fn default_vector_burst() -> u32 {
	CxConfig::default().aka_vector_burst
}

impl Default for CxFile {
	fn default() -> Self {
		CxFile {
			scscf_name: None,
			digest_md5: false,
			max_auth_items: default_auth_items(),
			aka_vectors_per_minute: default_vectors_per_minute(),
			aka_vector_burst: default_vector_burst(),
		}
	}
}

fn default_auth_items() -> u32 {
	5
}

/// `[vault]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultFile {
	/// The vault file.
	pub path: PathBuf,
	/// The keyring of its data keys (default: beside it, `.keys`). Its
	/// backups decide how long an erasure can be undone: `docs/vault.md`.
	pub keyring: Option<PathBuf>,
	/// A file with the 32-byte key (raw or 64 hex digits).
	pub key_file: Option<PathBuf>,
	/// Or the environment variable holding it in hex.
	pub key_env: Option<String>,
	/// Subscriptions whose sealed records and look-ups are kept in memory,
	/// so that Cx answers need no database read (0: none).
	#[serde(default = "default_cache_subscribers")]
	pub cache_subscribers: u32,
}

fn default_cache_subscribers() -> u32 {
	crate::vault::DEFAULT_CACHE_SUBSCRIBERS
}

/// `[metrics]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
	/// Address of the `/metrics` endpoint; none = no endpoint.
	pub listen: Option<String>,
}

/// `[admin]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminFile {
	/// The Unix socket the `subscriber` commands reach a running bridge
	/// through (mode 0600).
	#[serde(default = "default_admin_socket")]
	pub socket: PathBuf,
}

impl Default for AdminFile {
	fn default() -> Self {
		AdminFile { socket: default_admin_socket() }
	}
}

fn is_sip_uri(name: &str) -> bool {
	name.starts_with("sip:") || name.starts_with("sips:")
}

fn default_admin_socket() -> PathBuf {
	PathBuf::from("ims-bridge.sock")
}

/// A checked configuration, ready to run.
pub struct Config {
	/// Where Diameter listens.
	pub listen: SocketAddr,
	/// Our identity.
	pub local: LocalIdentity,
	/// Peer rules.
	pub policy: PeerPolicy,
	/// Connection cap.
	pub max_connections: usize,
	/// Mutual TLS files.
	pub tls: Option<TlsPaths>,
	/// Cx behaviour.
	pub cx: CxConfig,
	/// Node RPC.
	pub chain: crate::chain::Endpoint,
	/// The bridge account's secret URI.
	pub signer: zeroize::Zeroizing<String>,
	/// The environment variables secrets were read from (`signer_env`,
	/// `key_env`), to remove once read.
	pub secret_variables: Vec<String>,
	/// Vault file.
	pub vault_path: PathBuf,
	/// The vault's keyring.
	pub vault_keyring: PathBuf,
	/// Vault key.
	pub vault_key: VaultKey,
	/// The vault's read cache, in subscriptions.
	pub vault_cache: u32,
	/// Journal file.
	pub journal_path: PathBuf,
	/// Journal durability.
	pub journal_sync: crate::journal::Sync,
	/// With `with-answer`, the time between two flushes of the log.
	pub journal_flush_interval: Duration,
	/// The journal's high-water marks.
	pub journal_limits: crate::journal::Limits,
	/// The admin socket.
	pub admin_socket: PathBuf,
	/// Metrics endpoint.
	pub metrics: Option<SocketAddr>,
	/// Index snapshots; `None`: none written or read.
	pub snapshots: Option<crate::chain::SnapshotPolicy>,
	/// The provisioning API.
	pub api: ApiConfig,
}

/// Every problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigErrors(pub Vec<String>);

/// Refuses a secret's file that group or others may read.
fn owner_only(path: &Path) -> Result<(), String> {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions().mode();
		if mode & 0o077 != 0 {
			return Err(format!(
				"mode {:o} lets group or others read it; chmod 600 it",
				mode & 0o777
			));
		}
	}
	Ok(())
}

fn secret_from_file(path: &Path) -> Result<zeroize::Zeroizing<String>, String> {
	owner_only(path)?;
	let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
	Ok(zeroize::Zeroizing::new(text.trim().to_string()))
}

impl Config {
	/// Reads and checks `path`. Relative paths in it are taken from the
	/// file's directory.
	pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| ConfigErrors(vec![format!("{}: {e}", path.display())]))?;
		let file: File = toml::from_str(&text)
			.map_err(|e| ConfigErrors(vec![format!("{}: {e}", path.display())]))?;
		let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
		Config::check(file, &base)
	}

	/// Checks a parsed file: every mistake is collected, each with its key,
	/// before the configuration is refused.
	pub fn check(file: File, base: &Path) -> Result<Config, ConfigErrors> {
		let mut c = Checker { errors: Vec::new(), base };
		let d = &file.diameter;
		let (listen, host_ip) = c.diameter(d);
		let tls = c.tls(d);
		let allowed = c.peers(d, tls.is_some());
		let scscf_peers = allowed
			.iter()
			.filter_map(|p| Some((p.role.server_name()?.to_string(), p.origin_host.clone())))
			.collect();
		c.cx(&file.cx);
		let chain = c.chain(&file.chain);
		let signer = c.signer(&file.chain);
		let vault_key = c.vault_key(&file.vault);
		let (journal_flush_interval, journal_limits) = c.journal(&file.journal);
		let metrics = file.metrics.listen.as_ref().map(|m| {
			m.parse::<SocketAddr>().map_err(|e| {
				c.fail("metrics.listen", format!("{m:?} is not an address and port: {e}"));
			})
		});
		let snapshots = c.snapshots(&file.index);
		let api = c.api(&file.api);
		c.store_directories(&file);
		let (Ok(listen), Ok(host_ip), Ok(signer), Ok(vault_key), true) =
			(listen, host_ip, signer, vault_key, c.errors.is_empty())
		else {
			return Err(ConfigErrors(c.errors));
		};
		Ok(Config {
			listen,
			local: LocalIdentity {
				origin_host: d.origin_host.clone(),
				origin_realm: d.origin_realm.clone(),
				host_ip,
				product_name: d.product_name.clone(),
			},
			policy: PeerPolicy {
				requests_per_second: d.requests_per_second,
				burst: d.burst,
				max_message: d.max_message_bytes,
				max_in_flight: d.max_in_flight,
				cer_timeout: Duration::from_secs(d.cer_timeout_secs),
				watchdog: Duration::from_secs(d.watchdog_secs),
				write_timeout: Duration::from_secs(d.write_timeout_secs),
				..PeerPolicy::new(allowed)
			},
			max_connections: d.max_connections,
			tls,
			cx: CxConfig {
				scscf_name: file.cx.scscf_name,
				digest_md5: file.cx.digest_md5,
				max_auth_items: file.cx.max_auth_items,
				scscf_peers,
				aka_vectors_per_minute: file.cx.aka_vectors_per_minute,
				aka_vector_burst: file.cx.aka_vector_burst,
			},
			chain,
			signer,
			secret_variables: [&file.chain.signer_env, &file.vault.key_env]
				.into_iter()
				.flatten()
				.cloned()
				.collect(),
			vault_path: c.at(&file.vault.path),
			vault_keyring: match &file.vault.keyring {
				Some(keyring) => c.at(keyring),
				None => crate::vault::Vault::default_keyring(&c.at(&file.vault.path)),
			},
			vault_key,
			vault_cache: file.vault.cache_subscribers,
			journal_path: c.at(&file.journal.path),
			journal_sync: file.journal.sync,
			journal_flush_interval,
			journal_limits,
			admin_socket: c.at(&file.admin.socket),
			metrics: metrics.and_then(Result::ok),
			snapshots,
			api,
		})
	}
}

/// Collects the mistakes of a configuration, one section at a time.
struct Checker<'a> {
	errors: Vec<String>,
	/// Relative paths are taken from here (the file's directory).
	base: &'a Path,
}

impl Checker<'_> {
	fn fail(&mut self, key: &str, message: String) {
		self.errors.push(format!("{key}: {message}"));
	}

	/// `path`, taken from the configuration file's directory if relative.
	fn at(&self, path: &Path) -> PathBuf {
		if path.is_absolute() {
			path.to_path_buf()
		} else {
			self.base.join(path)
		}
	}

	/// `[diameter]` but its peers and TLS: the listen address and the CEA's
	/// Host-IP-Address.
	fn diameter(&mut self, d: &DiameterFile) -> (Result<SocketAddr, String>, Result<IpAddr, ()>) {
		let listen = d.listen.parse::<SocketAddr>().map_err(|e| e.to_string());
		if let Err(e) = &listen {
			self.fail("diameter.listen", format!("{:?} is not an address and port: {e}", d.listen));
		}
		if d.origin_host.trim().is_empty() {
			self.fail("diameter.origin_host", "must not be empty".into());
		}
		if d.origin_realm.trim().is_empty() {
			self.fail("diameter.origin_realm", "must not be empty".into());
		}
		let host_ip = match &d.host_ip {
			Some(text) => text.parse::<IpAddr>().map_err(|e| {
				self.fail("diameter.host_ip", format!("{text:?} is not an IP address: {e}"));
			}),
			None => Ok(match &listen {
				Ok(address) if !address.ip().is_unspecified() => address.ip(),
				_ => IpAddr::from([127, 0, 0, 1]),
			}),
		};
		if d.max_connections == 0 {
			self.fail("diameter.max_connections", "must be at least 1".into());
		}
		if d.requests_per_second == 0 {
			self.fail("diameter.requests_per_second", "must be at least 1".into());
		}
		if d.max_message_bytes < crate::diameter::codec::HEADER_LEN
			|| d.max_message_bytes > 0xff_ffff
		{
			self.fail("diameter.max_message_bytes", "must be between 20 and 16777215".into());
		}
		for (key, value) in [
			("cer_timeout_secs", d.cer_timeout_secs),
			("watchdog_secs", d.watchdog_secs),
			("write_timeout_secs", d.write_timeout_secs),
			("max_in_flight", d.max_in_flight as u64),
		] {
			if value == 0 {
				self.fail(&format!("diameter.{key}"), "must be at least 1".into());
			}
		}
		(listen, host_ip)
	}

	/// `[cx]`.
	fn cx(&mut self, cx: &CxFile) {
		if cx.max_auth_items == 0 || cx.max_auth_items > 32 {
			self.fail("cx.max_auth_items", "must be between 1 and 32".into());
		}
		if cx.aka_vector_burst < cx.max_auth_items {
			self.fail("cx.aka_vector_burst", "must be at least cx.max_auth_items".into());
		}
		if let Some(name) = cx.scscf_name.as_ref().filter(|name| !is_sip_uri(name)) {
			self.fail("cx.scscf_name", format!("{name:?} is not a SIP URI"));
		}
	}

	/// `[vault] key_file` or `key_env`.
	fn vault_key(&mut self, vault: &VaultFile) -> Result<VaultKey, ()> {
		match (&vault.key_file, &vault.key_env) {
			(Some(path), None) => VaultKey::from_file(&self.at(path)).map_err(|e| {
				self.fail("vault.key_file", e.to_string());
			}),
			(None, Some(var)) => match std::env::var(var) {
				Ok(v) => VaultKey::from_hex(&v).map_err(|e: VaultError| {
					self.fail("vault.key_env", format!("{var}: {e}"));
				}),
				Err(_) => {
					self.fail("vault.key_env", format!("environment variable {var} is not set"));
					Err(())
				},
			},
			_ => {
				self.fail("vault", "give exactly one of key_file and key_env".into());
				Err(())
			},
		}
	}

	/// The directories of the vault and the journal exist.
	fn store_directories(&mut self, file: &File) {
		let stores = [
			("vault.path", &file.vault.path),
			("vault.keyring", file.vault.keyring.as_ref().unwrap_or(&file.vault.path)),
			("journal.path", &file.journal.path),
			("index.snapshot", &file.index.snapshot),
			("api.tokens", &file.api.tokens),
		];
		for (key, path) in stores {
			let path = self.at(path);
			match path.parent() {
				Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
					self.fail(key, format!("directory {} does not exist", dir.display()));
				},
				_ => {},
			}
		}
	}
}

#[cfg(test)]
mod tests;
