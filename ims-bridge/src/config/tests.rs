//! Configuration checks: every mistake reported at once, with its key.

use super::*;
use crate::diameter::peer::PeerRole;

fn write_secret(dir: &Path, name: &str, text: &str) {
	let path = dir.join(name);
	std::fs::write(&path, text).unwrap();
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
	}
}

/// A directory holding the signer and the vault key that [`GOOD`] names.
fn with_secrets() -> tempfile::TempDir {
	let dir = tempfile::tempdir().unwrap();
	write_secret(dir.path(), "signer", "//Alice\n");
	write_secret(dir.path(), "vault.key", &"11".repeat(32));
	dir
}

/// Loads `text` as `bridge.toml` in `dir`.
fn load_in(dir: &Path, text: &str) -> Result<Config, ConfigErrors> {
	std::fs::write(dir.join("bridge.toml"), text).unwrap();
	Config::load(&dir.join("bridge.toml"))
}

const GOOD: &str = r#"
[diameter]
listen = "127.0.0.1:3868"
origin_host = "hss.ims.test"
origin_realm = "ims.test"

[[diameter.peers]]
origin_host = "scscf.ims.test"
addresses = ["127.0.0.1"]
role = "s-cscf"
server_name = "sip:scscf.ims.test:6060"

[[diameter.peers]]
origin_host = "icscf.ims.test"
addresses = ["127.0.0.1"]
role = "i-cscf"

[cx]
scscf_name = "sip:scscf.ims.test:6060"

[chain]
url = "ws://127.0.0.1:9944"
signer_file = "signer"

[vault]
path = "vault.redb"
key_file = "vault.key"

[journal]
path = "journal.redb"

[metrics]
listen = "127.0.0.1:9615"
"#;

#[test]
fn a_good_file_loads_with_relative_paths_resolved() {
	let dir = with_secrets();
	let config = load_in(dir.path(), GOOD).unwrap();
	assert_eq!(config.listen, "127.0.0.1:3868".parse().unwrap());
	assert_eq!(config.local.host_ip, "127.0.0.1".parse::<IpAddr>().unwrap());
	assert_eq!(config.vault_path, dir.path().join("vault.redb"));
	assert_eq!(config.signer.as_str(), "//Alice");
	assert_eq!(config.policy.allowed.len(), 2);
	assert_eq!(config.metrics, Some("127.0.0.1:9615".parse().unwrap()));
	assert_eq!(config.cx.max_auth_items, 5);
	assert_eq!(config.journal_sync, crate::journal::Sync::WithAnswer);
	assert_eq!(config.admin_socket, dir.path().join("ims-bridge.sock"));
	let strict = GOOD
		.replace("path = \"journal.redb\"", "path = \"journal.redb\"\nsync = \"before-answer\"");
	std::fs::write(dir.path().join("strict.toml"), strict).unwrap();
	let config = Config::load(&dir.path().join("strict.toml")).unwrap();
	assert_eq!(config.journal_sync, crate::journal::Sync::BeforeAnswer);
}

#[test]
fn the_flush_interval_is_checked() {
	let dir = with_secrets();
	let load = |journal: &str| {
		let text =
			GOOD.replace("path = \"journal.redb\"", &format!("path = \"journal.redb\"\n{journal}"));
		load_in(dir.path(), &text)
	};
	let interval = |journal: &str| load(journal).unwrap().journal_flush_interval;
	assert_eq!(interval(""), crate::journal::DEFAULT_FLUSH_INTERVAL);
	assert_eq!(interval("flush_interval_ms = 5"), Duration::from_millis(5));
	assert_eq!(
		interval("sync = \"with-answer\"\nflush_interval_ms = 1000"),
		Duration::from_secs(1)
	);
	for (bad, said) in [
		("flush_interval_ms = 0", "0 is not between 1 and 1000"),
		("flush_interval_ms = 1001", "1001 is not between 1 and 1000"),
		("flush_interval_ms = -5", "flush_interval_ms"),
		("flush_interval_ms = \"fast\"", "flush_interval_ms"),
		("sync = \"before-answer\"\nflush_interval_ms = 5", "applies only with sync"),
	] {
		let err = load(bad).err().unwrap().to_string();
		assert!(err.contains(said), "{bad}: {err}");
	}
}

#[test]
fn the_vault_cache_is_sized_in_subscriptions() {
	let dir = with_secrets();
	let load = |text: String| load_in(dir.path(), &text);
	let with = |value: &str| {
		GOOD.replace("key_file = \"vault.key\"", &format!("key_file = \"vault.key\"\n{value}"))
	};
	assert_eq!(load(GOOD.into()).unwrap().vault_cache, crate::vault::DEFAULT_CACHE_SUBSCRIBERS);
	assert_eq!(load(with("cache_subscribers = 0")).unwrap().vault_cache, 0);
	assert_eq!(load(with("cache_subscribers = 5000")).unwrap().vault_cache, 5000);
	for bad in ["cache_subscribers = -1", "cache_subscribers = \"many\"", "cache_subscribers = 1e9"]
	{
		let err = load(with(bad)).err().unwrap().to_string();
		assert!(err.contains("cache_subscribers"), "{bad}: {err}");
	}
}

#[test]
fn index_snapshots_are_on_by_default_and_their_interval_is_checked() {
	let dir = with_secrets();
	let load = |index: &str| load_in(dir.path(), &format!("{GOOD}\n[index]\n{index}"));
	let policy = load("").unwrap().snapshots.unwrap();
	assert_eq!(policy.path, dir.path().join("index.snapshot"));
	assert_eq!(policy.every_blocks, 100);
	let policy = load("snapshot = \"/var/tmp/x.snapshot\"\nsnapshot_every_blocks = 200");
	let policy = policy.unwrap().snapshots.unwrap();
	assert_eq!(
		(policy.path.as_path(), policy.every_blocks),
		(Path::new("/var/tmp/x.snapshot"), 200)
	);
	assert!(load("snapshot_every_blocks = 0").unwrap().snapshots.is_none(), "0 turns them off");
	for (bad, said) in [
		("snapshot_every_blocks = 201", "201 is more than 200"),
		("snapshot_every_blocks = -1", "snapshot_every_blocks"),
		(
			"snapshot = \"/nonexistent/dir/x.snapshot\"",
			"index.snapshot: directory /nonexistent/dir does not exist",
		),
		("snapshots = 3", "unknown field"),
	] {
		let err = load(bad).err().unwrap().to_string();
		assert!(err.contains(said), "{bad}: {err}");
	}
}

#[test]
fn every_mistake_is_reported_at_once() {
	let dir = tempfile::tempdir().unwrap();
	let bad = GOOD
		.replace("127.0.0.1:3868", "nowhere")
		.replace("addresses = [\"127.0.0.1\"]", "addresses = [\"localhost\"]")
		.replace("sip:scscf.ims.test:6060", "scscf.ims.test")
		.replace("ws://127.0.0.1:9944", "http://127.0.0.1:9933");
	std::fs::write(dir.path().join("bridge.toml"), bad).unwrap();
	let errors = Config::load(&dir.path().join("bridge.toml")).err().unwrap().0;
	let text = errors.join("\n");
	for key in [
		"diameter.listen",
		"diameter.peers[0].addresses",
		"diameter.peers[0].server_name",
		"cx.scscf_name",
		"chain.url",
		"chain.signer_file",
		"vault.key_file",
	] {
		assert!(text.contains(key), "{key} not reported in:\n{text}");
	}
}

#[test]
fn unknown_keys_and_missing_sections_are_refused() {
	let dir = tempfile::tempdir().unwrap();
	std::fs::write(dir.path().join("a.toml"), GOOD.replace("[journal]", "[jornal]")).unwrap();
	let err = Config::load(&dir.path().join("a.toml")).err().unwrap().to_string();
	assert!(err.contains("jornal") || err.contains("journal"), "{err}");
	std::fs::write(dir.path().join("b.toml"), GOOD.replace("origin_realm", "origin_relm")).unwrap();
	let err = Config::load(&dir.path().join("b.toml")).err().unwrap().to_string();
	assert!(err.contains("origin_relm"), "{err}");
	let never =
		GOOD.replace("path = \"journal.redb\"", "path = \"journal.redb\"\nsync = \"never\"");
	std::fs::write(dir.path().join("c.toml"), never).unwrap();
	let err = Config::load(&dir.path().join("c.toml")).err().unwrap().to_string();
	assert!(err.contains("never") && err.contains("with-answer"), "{err}");
	let err = Config::load(&dir.path().join("missing.toml")).err().unwrap().to_string();
	assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn secrets_readable_by_others_are_refused() {
	let dir = tempfile::tempdir().unwrap();
	write_secret(dir.path(), "vault.key", &"11".repeat(32));
	std::fs::write(dir.path().join("signer"), "//Alice").unwrap();
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(dir.path().join("signer"), std::fs::Permissions::from_mode(0o644))
			.unwrap();
		std::fs::write(dir.path().join("bridge.toml"), GOOD).unwrap();
		let err = Config::load(&dir.path().join("bridge.toml")).err().unwrap().to_string();
		assert!(err.contains("chain.signer_file") && err.contains("chmod 600"), "{err}");
	}
}

#[test]
fn each_peer_has_a_role_and_its_limits() {
	let dir = with_secrets();
	let load = |text: String| load_in(dir.path(), &text);
	let config = load(GOOD.replace(
		"role = \"i-cscf\"",
		"role = \"i-cscf\"\norigin_realm = \"visited.test\"\nmax_connections = 1",
	))
	.unwrap();
	let [scscf, icscf] = &config.policy.allowed[..] else { panic!("two peers") };
	assert_eq!(scscf.role, PeerRole::SCscf { server_name: "sip:scscf.ims.test:6060".into() });
	assert_eq!((scscf.origin_realm.as_str(), scscf.max_connections), ("ims.test", 4));
	assert_eq!(icscf.role, PeerRole::ICscf);
	assert_eq!((icscf.origin_realm.as_str(), icscf.max_connections), ("visited.test", 1));
	assert_eq!(
		config.cx.scscf_peers,
		[("sip:scscf.ims.test:6060".into(), "scscf.ims.test".into())]
	);
	let policy = &config.policy;
	assert_eq!(policy.cer_timeout, Duration::from_secs(10));
	assert_eq!(policy.watchdog, Duration::from_secs(30));
	assert_eq!(policy.write_timeout, Duration::from_secs(5));
	assert_eq!(policy.max_in_flight, 256);

	let err = load(GOOD.replace("role = \"i-cscf\"\n", "")).err().unwrap().to_string();
	assert!(err.contains("role"), "{err}");
	let err = load(GOOD.replace("role = \"i-cscf\"", "role = \"p-cscf\"")).err().unwrap();
	assert!(err.to_string().contains("p-cscf"), "{err}");
	let bad = GOOD
		.replace("server_name = \"sip:scscf.ims.test:6060\"\n", "")
		.replace("role = \"i-cscf\"", "role = \"i-cscf\"\nserver_name = \"sip:i.ims.test\"")
		.replace("addresses = [\"127.0.0.1\"]\nrole = \"s-cscf\"", "addresses = [\"127.0.0.1\"]\nrole = \"s-cscf\"\nmax_connections = 0")
		.replace("[[diameter.peers]]", "[[diameter.peers]]\norigin_realm = \" \"")
		.replace("[diameter]", "[diameter]\nwatchdog_secs = 0\ncer_timeout_secs = 0\nwrite_timeout_secs = 0\nmax_in_flight = 0");
	let errors = load(bad).err().unwrap().0.join("\n");
	for key in [
		"diameter.peers[0].server_name: an s-cscf needs",
		"diameter.peers[1].server_name: only an s-cscf",
		"diameter.peers[0].max_connections",
		"diameter.peers[0].origin_realm",
		"diameter.peers[1].origin_realm",
		"diameter.watchdog_secs",
		"diameter.cer_timeout_secs",
		"diameter.write_timeout_secs",
		"diameter.max_in_flight",
	] {
		assert!(errors.contains(key), "{key} not reported in:\n{errors}");
	}
}

#[test]
fn peers_on_other_hosts_need_mutual_tls_or_an_explicit_plain_tcp() {
	let dir = with_secrets();
	let load = |text: String| load_in(dir.path(), &text);
	let remote = GOOD.replace(
		"addresses = [\"127.0.0.1\"]\nrole = \"i-cscf\"",
		"addresses = [\"10.0.0.7\"]\nrole = \"i-cscf\"",
	);
	let errors = load(remote.clone()).err().unwrap().0.join("\n");
	assert!(errors.contains("diameter.peers[1].addresses: connects from another host"), "{errors}");
	let plain = remote.replace("role = \"i-cscf\"", "role = \"i-cscf\"\nplain_tcp = true");
	assert!(load(plain).unwrap().policy.allowed[1].plain_tcp);

	let pki = ims_test_harness::pki::Pki::new(dir.path(), "ca");
	let ours = pki.issue("hss.ims.test");
	let tls = format!(
		"[diameter.tls]\ncert = {:?}\nkey = {:?}\nclient_ca = {:?}\n\n[[diameter.peers]]",
		ours.cert, ours.key, pki.ca_pem
	);
	let with_tls = remote.replacen("[[diameter.peers]]", &tls, 1);
	let config = load(with_tls.clone()).unwrap();
	let paths = config.tls.unwrap();
	assert_eq!((paths.cert, paths.client_ca), (ours.cert.clone(), pki.ca_pem.clone()));
	assert!(!config.policy.allowed[1].plain_tcp);

	// The key readable by others, or a CA file that holds none: refused.
	use std::os::unix::fs::PermissionsExt;
	std::fs::set_permissions(&ours.key, std::fs::Permissions::from_mode(0o644)).unwrap();
	let errors = load(with_tls.clone()).err().unwrap().0.join("\n");
	assert!(errors.contains("diameter.tls.key") && errors.contains("chmod 600"), "{errors}");
	ims_test_harness::pki::owner_only(&ours.key);
	std::fs::write(dir.path().join("empty.pem"), "").unwrap();
	let no_ca = with_tls
		.replace(&format!("{:?}", pki.ca_pem), &format!("{:?}", dir.path().join("empty.pem")));
	let errors = load(no_ca).err().unwrap().0.join("\n");
	assert!(errors.contains("diameter.tls") && errors.contains("client CA"), "{errors}");
}

#[test]
fn the_node_is_reached_over_loopback_or_wss_with_a_pinned_ca() {
	let dir = with_secrets();
	let pki = ims_test_harness::pki::Pki::new(dir.path(), "node-ca");
	let with = |url: &str, ca: Option<&str>| {
		let ca = ca.map(|c| format!("\nca = \"{c}\"")).unwrap_or_default();
		GOOD.replace("url = \"ws://127.0.0.1:9944\"", &format!("url = \"{url}\"{ca}"))
	};
	for url in
		["ws://127.0.0.1:9944", "ws://127.8.9.10:9944", "ws://localhost:9944", "ws://[::1]:9944"]
	{
		let config = load_in(dir.path(), &with(url, None)).unwrap();
		assert_eq!(config.chain, crate::chain::Endpoint { url: url.into(), ca: None });
	}
	let ca = pki.ca_pem.display().to_string();
	let config = load_in(dir.path(), &with("wss://node.ims.test:9944", Some(&ca))).unwrap();
	assert_eq!(config.chain.ca, Some(pki.ca_pem.clone()));

	std::fs::write(dir.path().join("empty.pem"), "").unwrap();
	for (url, ca, key, says) in [
		("ws://10.0.0.5:9944", None, "chain.url", "only for a node on this host"),
		("ws://node.ims.test:9944", None, "chain.url", "only for a node on this host"),
		("wss://node.ims.test:9944", None, "chain.ca", "needs the CA"),
		("ws://127.0.0.1:9944", Some(ca.as_str()), "chain.ca", "only to a wss:// URL"),
		("wss://node.ims.test:9944", Some("empty.pem"), "chain.ca", "empty.pem"),
		("wss://node.ims.test:9944", Some("missing.pem"), "chain.ca", "missing.pem"),
		("http://127.0.0.1:9933", None, "chain.url", "not ws:// or wss://"),
		("127.0.0.1:9944", None, "chain.url", "not"),
	] {
		let errors = load_in(dir.path(), &with(url, ca)).err().unwrap().0.join("\n");
		assert!(errors.contains(key) && errors.contains(says), "{url} {ca:?}: {errors}");
	}
}

#[test]
fn the_api_is_off_by_default_and_plain_http_only_on_loopback() {
	let dir = with_secrets();
	let config = load_in(dir.path(), GOOD).unwrap();
	assert_eq!(config.api.listen, None);
	assert_eq!(config.api.tokens, dir.path().join("api-tokens.json"));
	let loopback = format!("{GOOD}\n[api]\nlisten = \"127.0.0.1:8080\"\ntokens = \"t.json\"\n");
	let config = load_in(dir.path(), &loopback).unwrap();
	assert_eq!(config.api.listen, Some("127.0.0.1:8080".parse().unwrap()));
	assert_eq!(config.api.tokens, dir.path().join("t.json"));
	assert!(config.api.tls.is_none());
	let errors = load_in(
		dir.path(),
		&format!("{GOOD}\n[api]\nlisten = \"0.0.0.0:8443\"\nburst = 0\nmax_connections = 0\n"),
	)
	.err()
	.unwrap()
	.0;
	assert!(
		errors.iter().any(|e| e.starts_with("api.listen: 0.0.0.0:8443 is not loopback")),
		"{errors:?}"
	);
	assert!(errors.iter().any(|e| e == "api.burst: must be at least 1"), "{errors:?}");
	assert!(errors.iter().any(|e| e == "api.max_connections: must be at least 1"), "{errors:?}");
	let bad = format!("{GOOD}\n[api]\nlisten = \"nowhere\"\n");
	let errors = load_in(dir.path(), &bad).err().unwrap().0;
	assert!(errors.iter().any(|e| e.starts_with("api.listen: \"nowhere\" is not an address")));
}

#[test]
fn the_api_certificate_and_key_are_checked() {
	let dir = with_secrets();
	let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
	std::fs::write(dir.path().join("api.crt"), cert.serialize_pem().unwrap()).unwrap();
	std::fs::write(dir.path().join("api.key"), cert.serialize_private_key_pem()).unwrap();
	let tls = format!(
		"{GOOD}\n[api]\nlisten = \"0.0.0.0:8443\"\n[api.tls]\ncert = \"api.crt\"\nkey = \"api.key\"\n"
	);
	// The key is readable by others.
	use std::os::unix::fs::PermissionsExt;
	let key = dir.path().join("api.key");
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
	let errors = load_in(dir.path(), &tls).err().unwrap().0;
	assert!(errors.iter().any(|e| e.starts_with("api.tls.key:")), "{errors:?}");
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
	let config = load_in(dir.path(), &tls).unwrap();
	assert_eq!(config.api.tls, Some((dir.path().join("api.crt"), key.clone())));
	// Not a certificate.
	std::fs::write(dir.path().join("api.crt"), "nothing").unwrap();
	let errors = load_in(dir.path(), &tls).err().unwrap().0;
	assert!(errors.iter().any(|e| e.starts_with("api.tls: TLS certificate")), "{errors:?}");
}
