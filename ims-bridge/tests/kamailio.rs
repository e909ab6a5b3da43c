//! End to end, all real: `ims-node --dev`, the `ims-bridge` binary as the
//! HSS, Debian's Kamailio as I-CSCF and S-CSCF (configured from
//! `tests/ims/`), and SIPp registering subscribers provisioned with
//! `ims-bridge subscriber add`.
//!
//! - SIP Digest, Digest-MD5 and AKAv1 registrations reach 200 OK;
//! - a wrong password, an unknown user and a barred identity get 403;
//! - every Cx transaction's audit record is finalized on chain: the
//!   bridge's sequence number there equals the number of records it wrote;
//! - killing the bridge (SIGKILL) in the middle of a run of registrations
//!   and starting it again loses no record;
//! - barring an identity registered before a restart while no bridge runs,
//!   or removing one after it, still sends the RTR.
//!
//! Needs `kamailio`, `kamailio-ims-modules` and `sip-tester` (SIPp) from
//! Debian; `scripts/setup.sh` installs them.

use ims_bridge::chain::{self, ims};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REALM: &str = "ims.example.net";

/// A port free when picked, from below Linux's ephemeral range (32768 and
/// up): a port from that range may, before its listener binds it, become
/// the source port of another process's outgoing connection (a CSCF's to
/// its HSS), and the listener then fails to start. Ports are handed out
/// in turn from a start that depends on the process, so that the tests of
/// one process never get the same port twice.
fn free_port(free: impl Fn(u16) -> bool) -> u16 {
	use std::sync::atomic::{AtomicU32, Ordering};
	const FIRST: u32 = 20_000;
	const COUNT: u32 = 12_000;
	static NEXT: AtomicU32 = AtomicU32::new(0);
	let start = std::process::id() % COUNT;
	for _ in 0..COUNT {
		let turn = NEXT.fetch_add(1, Ordering::Relaxed);
		let port = u16::try_from(FIRST + (start + turn) % COUNT).unwrap();
		if free(port) {
			return port;
		}
	}
	panic!("no free port in {FIRST}-{}", FIRST + COUNT - 1)
}

fn free_tcp_port() -> u16 {
	free_port(|port| TcpListener::bind(("127.0.0.1", port)).is_ok())
}

fn free_udp_port() -> u16 {
	free_port(|port| UdpSocket::bind(("127.0.0.1", port)).is_ok())
}

/// A child process whose output is kept, killed on drop.
struct Proc {
	name: &'static str,
	child: Child,
	log: Arc<Mutex<String>>,
}

impl Proc {
	/// Starts `command` in a process group of its own, so that stopping it
	/// also stops the processes it forks (Kamailio's workers).
	fn spawn(name: &'static str, command: &mut Command) -> Proc {
		use std::os::unix::process::CommandExt;
		let mut child = command
			.process_group(0)
			.stdin(Stdio::null())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap_or_else(|e| panic!("{name} does not start: {e}"));
		let log = Arc::new(Mutex::new(String::new()));
		for stream in [
			child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
			child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
		]
		.into_iter()
		.flatten()
		{
			let sink = log.clone();
			std::thread::spawn(move || {
				for line in BufReader::new(stream).lines().map_while(Result::ok) {
					let mut log = sink.lock().unwrap();
					log.push_str(&line);
					log.push('\n');
				}
			});
		}
		Proc { name, child, log }
	}

	fn log(&self) -> String {
		self.log.lock().unwrap().clone()
	}

	fn signal_group(&self, signal: &str) {
		let group = format!("-{}", self.child.id());
		let _ = Command::new("kill").args([signal, "--", &group]).stderr(Stdio::null()).status();
	}

	fn kill(&mut self) {
		self.signal_group("-KILL");
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	fn terminate(&mut self, timeout: Duration) -> bool {
		self.signal_group("-TERM");
		let deadline = Instant::now() + timeout;
		while Instant::now() < deadline {
			if let Ok(Some(_)) = self.child.try_wait() {
				return true;
			}
			std::thread::sleep(Duration::from_millis(50));
		}
		self.kill();
		false
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		self.kill();
		if std::thread::panicking() {
			let log = self.log();
			let tail: Vec<&str> = log.lines().rev().take(60).collect();
			eprintln!("---- last lines of {} ----", self.name);
			for line in tail.into_iter().rev() {
				eprintln!("{line}");
			}
		}
	}
}

fn node_binary() -> PathBuf {
	if let Some(path) = std::env::var_os("IMS_NODE") {
		return PathBuf::from(path);
	}
	// target/release/deps/<this test> -> target/release/ims-node
	let exe = std::env::current_exe().unwrap();
	exe.parent().and_then(Path::parent).unwrap().join("ims-node")
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
	let deadline = Instant::now() + timeout;
	while Instant::now() < deadline {
		if ready() {
			return;
		}
		std::thread::sleep(Duration::from_millis(200));
	}
	panic!("{what} not ready after {timeout:?}");
}

fn write_secret(path: &Path, text: &str) {
	std::fs::write(path, text).unwrap();
	use std::os::unix::fs::PermissionsExt;
	std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn metric(port: u16, name: &str) -> Option<f64> {
	use std::io::{Read, Write};
	let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
	stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
	let mut body = String::new();
	stream.read_to_string(&mut body).ok()?;
	body.lines()
		.filter(|l| l.starts_with(name) && !l.starts_with('#'))
		.map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0))
		.reduce(|a, b| a + b)
}

struct Setup {
	dir: tempfile::TempDir,
	config: PathBuf,
	hss_port: u16,
	metrics_port: u16,
	scscf_port: u16,
	icscf_port: u16,
	rpc_url: String,
}

fn fill(template: &str, values: &[(&str, String)]) -> String {
	values.iter().fold(template.to_string(), |text, (key, value)| text.replace(key, value))
}

impl Setup {
	fn new(rpc_port: u16) -> Setup {
		let dir = tempfile::tempdir().unwrap();
		let (hss_port, metrics_port) = (free_tcp_port(), free_tcp_port());
		let (scscf_port, icscf_port) = (free_udp_port(), free_udp_port());
		write_secret(&dir.path().join("vault.key"), &"5a".repeat(32));
		write_secret(&dir.path().join("signer"), "//Alice");
		let config = dir.path().join("bridge.toml");
		std::fs::write(
			&config,
			format!(
				r#"
[diameter]
listen = "127.0.0.1:{hss_port}"
origin_host = "127.0.0.1"
origin_realm = "{REALM}"

[[diameter.peers]]
origin_host = "scscf.{REALM}"
addresses = ["127.0.0.1"]
server_name = "sip:127.0.0.1:{scscf_port}"

[[diameter.peers]]
origin_host = "icscf.{REALM}"
addresses = ["127.0.0.1"]

[cx]
scscf_name = "sip:127.0.0.1:{scscf_port}"
digest_md5 = true

[chain]
url = "ws://127.0.0.1:{rpc_port}"
signer_file = "signer"

[vault]
path = "vault.redb"
key_file = "vault.key"

[journal]
path = "journal.redb"

[metrics]
listen = "127.0.0.1:{metrics_port}"
"#
			),
		)
		.unwrap();
		let setup = Setup {
			dir,
			config,
			hss_port,
			metrics_port,
			scscf_port,
			icscf_port,
			rpc_url: format!("ws://127.0.0.1:{rpc_port}"),
		};
		setup.write_kamailio_files();
		setup
	}

	fn write_kamailio_files(&self) {
		let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ims");
		let run = self.dir.path();
		let values = [
			("@RUNDIR@", run.display().to_string()),
			("@HSS_PORT@", self.hss_port.to_string()),
			("@SCSCF_PORT@", self.scscf_port.to_string()),
			("@ICSCF_PORT@", self.icscf_port.to_string()),
			("@SCSCF_DIAMETER_PORT@", free_tcp_port().to_string()),
			("@ICSCF_DIAMETER_PORT@", free_tcp_port().to_string()),
		];
		for file in ["scscf.cfg", "scscf.xml", "icscf.cfg", "icscf.xml"] {
			let text = std::fs::read_to_string(source.join(file)).unwrap();
			std::fs::write(run.join(file), fill(&text, &values)).unwrap();
		}
		std::fs::create_dir_all(run.join("icscf-db")).unwrap();
		for table in ["version", "nds_trusted_domains", "s_cscf", "s_cscf_capabilities"] {
			let text = std::fs::read_to_string(source.join("icscf-db").join(table)).unwrap();
			std::fs::write(run.join("icscf-db").join(table), fill(&text, &values)).unwrap();
		}
	}

	fn bridge_command(&self) -> Command {
		let mut command = Command::new(env!("CARGO_BIN_EXE_ims-bridge"));
		command.env("RUST_LOG", "info");
		command
	}

	fn start_bridge(&self) -> Proc {
		self.start_bridge_with(&self.config)
	}

	/// The bridge with another configuration file (same ports).
	fn start_bridge_with(&self, config: &Path) -> Proc {
		let bridge =
			Proc::spawn("ims-bridge", self.bridge_command().arg("run").arg("--config").arg(config));
		let port = self.hss_port;
		wait_for("the bridge's Diameter port", Duration::from_secs(60), || {
			TcpStream::connect(("127.0.0.1", port)).is_ok()
		});
		bridge
	}

	fn add(&self, args: &[&str], env: &[(&str, &str)]) {
		let mut command = self.bridge_command();
		command.args(["subscriber", "add", "--config"]).arg(&self.config).args(["--realm", REALM]);
		command.args(args);
		for (k, v) in env {
			command.env(k, v);
		}
		let output = command.output().unwrap();
		assert!(
			output.status.success(),
			"subscriber add {args:?} failed:\n{}\n{}",
			String::from_utf8_lossy(&output.stdout),
			String::from_utf8_lossy(&output.stderr)
		);
	}

	fn kamailio(&self, name: &'static str) -> Proc {
		Proc::spawn(
			name,
			Command::new("kamailio")
				.args(["-DD", "-E", "-f"])
				.arg(self.dir.path().join(format!("{name}.cfg")))
				.arg("-P")
				.arg(self.dir.path().join(format!("{name}.pid")))
				.args(["-m", "64", "-M", "8"]),
		)
	}

	/// Runs one SIPp scenario once for `user` (the user part of the IMPU;
	/// the IMPI is `user@ims.example.net`) with `credentials` (SIPp's -ap
	/// for digest; `@K@`, `@OP@`, `@AMF@` filled into the scenario for
	/// AKA); returns whether it passed.
	fn sipp(&self, scenario: &str, user: &str, credentials: &[&str]) -> bool {
		let fields = format!("{user};{user}@{REALM}");
		let template = Path::new(env!("CARGO_MANIFEST_DIR"))
			.join("tests/ims/sipp")
			.join(format!("{scenario}.xml"));
		let mut values: Vec<(&str, String)> = Vec::new();
		let mut args: Vec<&str> = Vec::new();
		let mut rest = credentials.iter();
		while let Some(flag) = rest.next() {
			let value = rest.next().copied().unwrap_or_default();
			match *flag {
				"-aka_K" => values.push(("@K@", value.to_string())),
				"-aka_OP" => values.push(("@OP@", value.to_string())),
				"-aka_AMF" => values.push(("@AMF@", value.to_string())),
				_ => args.extend([*flag, value]),
			}
		}
		let file = self.dir.path().join(format!("{scenario}-{user}.xml"));
		std::fs::write(&file, fill(&std::fs::read_to_string(template).unwrap(), &values)).unwrap();
		let csv = self.dir.path().join(format!("{scenario}-{}.csv", free_udp_port()));
		std::fs::write(&csv, format!("SEQUENTIAL\n{fields};\n")).unwrap();
		let output = Command::new("sipp")
			.arg(format!("127.0.0.1:{}", self.icscf_port))
			.arg("-sf")
			.arg(&file)
			.arg("-inf")
			.arg(&csv)
			.args(["-i", "127.0.0.1", "-p", &free_udp_port().to_string()])
			.args(["-au", &format!("{user}@{REALM}")])
			.args(&args)
			.args(["-m", "1", "-l", "1", "-timeout", "20s", "-timeout_error", "-nostdin"])
			.args(["-trace_err", "-error_file"])
			.arg(self.dir.path().join(format!("{scenario}-errors.log")))
			.args(["-trace_msg", "-message_file"])
			.arg(self.dir.path().join(format!("{scenario}-messages.log")))
			.stdin(Stdio::null())
			.output()
			.unwrap();
		if !output.status.success() {
			let errors =
				std::fs::read_to_string(self.dir.path().join(format!("{scenario}-errors.log")))
					.unwrap_or_default();
			let messages =
				std::fs::read_to_string(self.dir.path().join(format!("{scenario}-messages.log")))
					.unwrap_or_default();
			eprintln!("sipp {scenario} {fields} failed ({}):\n{errors}\n{messages}", output.status);
		}
		output.status.success()
	}

	/// Registers `user` by AKA with SIPp, and once more when SIPp's own
	/// defect failed it. SIPp 3.6.1 (Debian 12's sip-tester) hashes the
	/// AKAv1-MD5 response over strlen(RES): when the challenge's RES holds
	/// a zero byte (about one challenge in 32) its response is wrong and the
	/// S-CSCF rightly answers 403 (fixed in SIPp after 3.6.1, by its pull
	/// request 595). The RES of the challenge SIPp answered is computed
	/// here from K and OP; only when it holds a zero byte is the
	/// registration tried again, under a new challenge.
	fn sipp_aka(&self, scenario: &str, user: &str, k: &str, op: &str, amf: &str) -> bool {
		use ims_bridge::auth::milenage::{opc, Milenage};
		let key: [u8; 16] = k.as_bytes().try_into().unwrap();
		let op16: [u8; 16] = op.as_bytes().try_into().unwrap();
		let milenage = Milenage::new(&key, &opc(&key, &op16));
		for _ in 0..3 {
			if self.sipp(scenario, user, &["-aka_K", k, "-aka_OP", op, "-aka_AMF", amf]) {
				return true;
			}
			let Some(rand) = self.last_challenge_rand(scenario) else { return false };
			let res = milenage.f2345(&rand).res;
			if !res.contains(&0) {
				return false;
			}
			eprintln!(
				"the RES of the challenge, {}, holds a zero byte, which SIPp 3.6.1 mishandles: once more",
				hex::encode(res)
			);
		}
		false
	}

	/// The RAND of the last AKA challenge in SIPp's message log of
	/// `scenario` (the first 16 bytes of the base64 nonce).
	fn last_challenge_rand(&self, scenario: &str) -> Option<[u8; 16]> {
		use base64::Engine;
		let messages =
			std::fs::read_to_string(self.dir.path().join(format!("{scenario}-messages.log")))
				.ok()?;
		let line = messages.lines().rfind(|l| l.starts_with("WWW-Authenticate:"))?;
		let nonce = challenge_param(line, "nonce")?;
		let bytes = base64::engine::general_purpose::STANDARD.decode(nonce).ok()?;
		bytes.get(..16)?.try_into().ok()
	}

	/// What `subscriber show` prints for `identity` (empty if it fails).
	fn show(&self, identity: &str) -> String {
		let output = self
			.bridge_command()
			.args(["subscriber", "show", "--config"])
			.arg(&self.config)
			.arg(identity)
			.output()
			.unwrap();
		if output.status.success() {
			String::from_utf8_lossy(&output.stdout).to_string()
		} else {
			String::new()
		}
	}

	/// `subscriber remove` of `identity` (through the running bridge).
	fn remove(&self, identity: &str) {
		let output = self
			.bridge_command()
			.args(["subscriber", "remove", "--config"])
			.arg(&self.config)
			.arg(identity)
			.output()
			.unwrap();
		assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	}

	/// The on-chain pseudonym of a public identity, as `subscriber show`
	/// prints it.
	fn pseudonym(&self, impu: &str) -> [u8; 32] {
		let text = self.show(impu);
		let line = text
			.lines()
			.find(|l| l.trim_start().starts_with(&format!("impu {impu} (")))
			.unwrap_or_else(|| panic!("no line for {impu} in:\n{text}"));
		let hex = line.split('(').nth(1).and_then(|r| r.split(')').next()).unwrap();
		hex::decode(hex).unwrap().try_into().unwrap()
	}

	fn metric(&self, name: &str) -> Option<f64> {
		metric(self.metrics_port, name)
	}
}

fn ascii_hex(text: &str) -> String {
	hex::encode(text.as_bytes())
}

async fn next_sequence(url: &str) -> u64 {
	let client = chain::connect(url).await.unwrap();
	let at = client.at_current_block().await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice().public_key().into();
	at.runtime_apis().call(ims::runtime_apis().audit_api().next_sequence(alice)).await.unwrap()
}

async fn put_service_profile(url: &str) {
	use ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
	use ims::runtime_types::ims_primitives::ServiceProfile;
	let client = chain::connect(url).await.unwrap();
	let profile = ServiceProfile {
		name: BoundedVec(b"basic".to_vec()),
		ifcs: BoundedVec(Vec::new()),
		shared_ifc_sets: BoundedVec(Vec::new()),
		subscribed_media_profile: None,
	};
	let call = ims::transactions().identity().put_service_profile(0, 0, profile);
	let at = client.at_current_block().await.unwrap();
	at.transactions()
		.sign_and_submit_then_watch_default(&call, &subxt_signer::sr25519::dev::alice())
		.await
		.unwrap()
		.wait_for_finalized_success()
		.await
		.unwrap();
}

/// Bars a public identity as Alice, the development realm's owner. The
/// bridge signs with the same development key, so a transaction may lose
/// the race for a nonce: it is sent again.
async fn bar(url: &str, impu: [u8; 32]) {
	let client = chain::connect(url).await.unwrap();
	let call = ims::transactions().identity().set_barring(subxt::utils::H256(impu), true);
	let mut last = String::new();
	for _ in 0..10 {
		let at = client.at_current_block().await.unwrap();
		let sent = at
			.transactions()
			.sign_and_submit_then_watch_default(&call, &subxt_signer::sr25519::dev::alice())
			.await;
		match sent {
			Ok(progress) => match progress.wait_for_finalized_success().await {
				Ok(_) => return,
				Err(e) => last = e.to_string(),
			},
			Err(e) => last = e.to_string(),
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	panic!("barring failed: {last}");
}

/// `ims-node --dev` in a temporary directory, and the test set-up for it
/// with the realm's service profile 0 on chain.
async fn dev_chain() -> (tempfile::TempDir, Proc, Setup) {
	let base = tempfile::tempdir().unwrap();
	let rpc_port = free_tcp_port();
	let node = Proc::spawn(
		"ims-node",
		Command::new(node_binary())
			.args(["--dev", "--base-path"])
			.arg(base.path())
			.args(["--rpc-port", &rpc_port.to_string(), "--prometheus-port"])
			.arg(free_tcp_port().to_string())
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", free_tcp_port())])
			.args(["--no-telemetry", "--no-mdns"]),
	);
	wait_for("ims-node's RPC", Duration::from_secs(60), || {
		TcpStream::connect(("127.0.0.1", rpc_port)).is_ok()
	});
	let setup = Setup::new(rpc_port);
	put_service_profile(&setup.rpc_url).await;
	(base, node, setup)
}

#[tokio::test(flavor = "multi_thread")]
async fn kamailio_registers_through_the_bridge_and_the_audit_trail_is_finalized() {
	for tool in ["kamailio", "sipp"] {
		let found =
			Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
		assert!(
			found.status.success(),
			"{tool} is not installed: run scripts/setup.sh (Debian packages kamailio, \
			 kamailio-ims-modules, kamailio-presence-modules, sip-tester)"
		);
	}
	let (_base, _node, setup) = dev_chain().await;

	// Provisioning: vault and chain together.
	setup.add(
		&[
			"--subscription",
			"alice",
			"--impi",
			"alice@ims.example.net",
			"--impu",
			"sip:alice@ims.example.net",
			"--impu",
			"tel:+15550001",
		],
		&[("IMS_BRIDGE_PASSWORD", "alice-secret")],
	);
	setup.add(
		&[
			"--subscription",
			"bob",
			"--impi",
			"bob@ims.example.net",
			"--impu",
			"sip:bob@ims.example.net",
			"--schemes",
			"digest-md5",
			"--keep-password",
		],
		&[("IMS_BRIDGE_PASSWORD", "bob-secret")],
	);
	setup.add(
		&[
			"--subscription",
			"carol",
			"--impi",
			"carol@ims.example.net",
			"--impu",
			"sip:carol@ims.example.net",
			"--schemes",
			"aka1",
			"--amf",
			&ascii_hex("00"),
		],
		&[
			("IMS_BRIDGE_K", &ascii_hex("carol-key-123456")),
			("IMS_BRIDGE_OP", &ascii_hex("carol-op-1234567")),
		],
	);
	setup.add(
		&[
			"--subscription",
			"dave",
			"--impi",
			"dave@ims.example.net",
			"--impu",
			"sip:dave@ims.example.net",
			"--barred",
		],
		&[("IMS_BRIDGE_PASSWORD", "dave-secret")],
	);

	setup.add(
		&[
			"--subscription",
			"frank",
			"--impi",
			"frank@ims.example.net",
			"--impu",
			"sip:frank@ims.example.net",
			"--impu",
			"tel:+15550002",
		],
		&[("IMS_BRIDGE_PASSWORD", "frank-secret")],
	);

	let alice_tel = setup.pseudonym("tel:+15550001");
	let frank_tel = setup.pseudonym("tel:+15550002");
	let mut bridge = setup.start_bridge();
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});

	// Registrations that must succeed, one per scheme.
	assert!(setup.sipp("register_digest", "alice", &["-ap", "alice-secret"]), "SIP Digest");
	assert!(setup.sipp("register_digest", "bob", &["-ap", "bob-secret"]), "Digest-MD5");
	let aka = ("carol-key-123456", "carol-op-1234567", "00");
	assert!(setup.sipp_aka("register_aka", "carol", aka.0, aka.1, aka.2), "AKAv1-MD5");
	// The challenge SIPp answered reads back from its log: what tells
	// SIPp's own defect apart from a failure of the bridge.
	assert!(setup.last_challenge_rand("register_aka").is_some(), "AKA challenge in SIPp's log");
	// And those that must not.
	assert!(setup.sipp("register_wrong_password", "alice", &["-ap", "not-it"]), "wrong password");
	assert!(setup.sipp("register_forbidden", "eve", &[]), "unknown user");
	assert!(setup.sipp("register_forbidden", "dave", &[]), "barred identity");

	// The operator bars Alice's telephone number on chain (the default
	// identity of an implicit set cannot be barred): the S-CSCF that serves
	// her implicit set gets an RTR and agrees.
	bar(&setup.rpc_url, alice_tel).await;
	wait_for("the RTR to be answered", Duration::from_secs(30), || {
		setup.metric("ims_bridge_cx_requests_total{command=\"RTR\",result=\"2001\"}") == Some(1.0)
	});

	// Provisioning while the bridge runs: the commands go through its admin
	// socket (the vault is the bridge's), and the new subscriber registers.
	let impis = setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0);
	setup.add(
		&[
			"--subscription",
			"erin",
			"--impi",
			"erin@ims.example.net",
			"--impu",
			"sip:erin@ims.example.net",
		],
		&[("IMS_BRIDGE_PASSWORD", "erin-secret")],
	);
	assert!(bridge.log().contains("admin request"), "the add went through the bridge");
	wait_for("the bridge to index the new subscriber", Duration::from_secs(30), || {
		setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0) > impis
	});
	assert!(
		setup.sipp("register_digest", "erin", &["-ap", "erin-secret"]),
		"a subscriber added while the bridge runs"
	);
	// `show` through the socket; the registration reaches the chain with
	// the next registration batch.
	let mut shown = String::new();
	wait_for("erin's registration on chain", Duration::from_secs(60), || {
		shown = setup.show("erin@ims.example.net");
		shown.contains("registration: Registered")
	});
	assert!(!shown.contains("erin-secret"), "show never prints secrets: {shown}");
	setup.remove("sip:erin@ims.example.net");
	wait_for("the bridge to forget the removed subscriber", Duration::from_secs(30), || {
		setup.metric("ims_bridge_index_identities{kind=\"impi\"}").unwrap_or(0.0) <= impis
	});
	assert!(
		setup.sipp("register_forbidden", "erin", &["-ap", "erin-secret"]),
		"a removed subscriber is refused"
	);

	// Frank registers; his registration reaches the chain.
	assert!(setup.sipp("register_digest", "frank", &["-ap", "frank-secret"]), "frank registers");
	wait_for("frank's registration on chain", Duration::from_secs(60), || {
		setup.show("frank@ims.example.net").contains("registration: Registered")
	});

	// Every Cx transaction so far has a record, and all of them get
	// finalized on chain under consecutive sequence numbers.
	let answered = setup.metric("ims_bridge_cx_requests_total").unwrap_or(0.0) as u64;
	assert!(answered >= 12, "UAR, MAR and SAR for each registration: {answered}");
	let deadline = Instant::now() + Duration::from_secs(90);
	loop {
		let recorded = next_sequence(&setup.rpc_url).await;
		if recorded == answered {
			break;
		}
		assert!(Instant::now() < deadline, "{recorded} of {answered} records finalized");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}

	// Kill the bridge in the middle of a run of registrations, start it
	// again: the records of every answered transaction still reach the
	// chain, none twice (the pallet refuses gaps and skips replays).
	let sipp_setup = Arc::new(setup);
	let runner = {
		let setup = sipp_setup.clone();
		std::thread::spawn(move || {
			let mut passed = 0;
			for _ in 0..12 {
				if setup.sipp("register_digest", "bob", &["-ap", "bob-secret"]) {
					passed += 1;
				}
			}
			passed
		})
	};
	tokio::time::sleep(Duration::from_secs(3)).await;
	bridge.kill();
	let mut bridge = sipp_setup.start_bridge();
	let passed = tokio::task::spawn_blocking(move || runner.join().unwrap()).await.unwrap();
	assert!(passed >= 1, "registrations go on after the restart");
	// The chain bars Frank's number while no bridge runs. The bridge started
	// next has seen neither that block nor a SAR for Frank, whom the chain
	// holds registered: its first load finds him barred and still held by
	// an S-CSCF, and it sends the RTR to the S-CSCF the chain names as soon
	// as that S-CSCF has reconnected (Kamailio retries every Tc, 30 s; the
	// bridge sends the RTR again until then).
	assert!(bridge.terminate(Duration::from_secs(15)), "the bridge stops on SIGTERM");
	bar(&sipp_setup.rpc_url, frank_tel).await;
	let mut bridge = sipp_setup.start_bridge();
	wait_for("the RTR owed after the restart to be answered", Duration::from_secs(180), || {
		sipp_setup.metric("ims_bridge_cx_requests_total{command=\"RTR\",result=\"2001\"}")
			== Some(1.0)
	});
	assert!(bridge.log().contains("RTR owed identities=1"), "the bar was found at the load");
	// Carol, registered before the restart and not since, is removed
	// through the restarted bridge: her vault entry is erased as soon as the
	// chain's removal is final, while the RTR for it follows that same
	// finalized block; it still names her because the bridge kept her names
	// before the erasure.
	sipp_setup.remove("sip:carol@ims.example.net");
	wait_for("the RTR for the removed subscriber", Duration::from_secs(60), || {
		sipp_setup.metric("ims_bridge_cx_requests_total{command=\"RTR\",result=\"2001\"}")
			== Some(2.0)
	});
	assert!(
		bridge.log().contains("subscriber leaving; RTR targets kept registered=1"),
		"the running bridge kept carol's implicit set"
	);
	// Wait for the journal to drain, then stop the bridge and compare its
	// journal with the chain. The gauge is trusted once the restarted
	// bridge has reported a finalized block; it is set at each finalized
	// block (2 s), so it must read 0 twice, a few blocks apart, for the
	// RTR's own record to have been counted.
	for _ in 0..2 {
		wait_for("the journal to drain", Duration::from_secs(120), || {
			sipp_setup.metric("ims_bridge_chain_finalized_block").is_some_and(|b| b > 0.0)
				&& sipp_setup.metric("ims_bridge_audit_queue_depth") == Some(0.0)
		});
		tokio::time::sleep(Duration::from_secs(6)).await;
	}
	assert!(bridge.terminate(Duration::from_secs(15)), "the bridge stops on SIGTERM");
	let journal =
		ims_bridge::journal::Journal::open(&sipp_setup.dir.path().join("journal.redb")).unwrap();
	let written = journal.next_sequence().unwrap();
	assert_eq!(journal.depth().unwrap().0, 0);
	let recorded = next_sequence(&sipp_setup.rpc_url).await;
	assert_eq!(recorded, written, "every journaled record is on chain, once");
	assert!(
		written >= answered + 3 * passed as u64,
		"{written} records for {passed} more registrations"
	);
}

/// Location-query records `range` of realm 0 (the development realm), as
/// the journal holds a Cx transaction's.
fn audit_entries(range: std::ops::Range<u64>) -> Vec<ims_bridge::journal::Entry> {
	use ims_primitives::audit::{Activity, FrontRecord, Peer};
	use ims_primitives::{ImpuId, Subject, Token};
	range
		.map(|i| {
			ims_bridge::journal::Entry::Audit(
				0,
				FrontRecord {
					subject: Subject::Impu(ImpuId::from_low_u64_be(i)),
					peer: Peer::Diameter(Token::truncate_from(b"scscf.ims.example.net".to_vec())),
					activity: Activity::LocationQuery,
					result: 2001,
					at_ms: 1_763_000_000_000 + i,
				},
			)
		})
		.collect()
}

/// The tests that run a submitter in this process take turns: a bridge
/// process signs for one account on one chain, and each test has a chain
/// of its own with the same Alice.
static IN_PROCESS_SUBMITTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the submitter (as Alice, the bridge's development account) on
/// `journal` until it is empty (audit records and registration reports);
/// returns how long that took and the submitter's metrics.
async fn drain(
	rpc_url: &str,
	journal: &ims_bridge::journal::Journal,
	timeout: Duration,
) -> (Duration, Arc<ims_bridge::metrics::Metrics>) {
	drain_with(rpc_url, journal, timeout, chain::SubmitOptions::default()).await
}

/// [`drain`] with the submitter's `options`.
async fn drain_with(
	rpc_url: &str,
	journal: &ims_bridge::journal::Journal,
	timeout: Duration,
	options: chain::SubmitOptions,
) -> (Duration, Arc<ims_bridge::metrics::Metrics>) {
	let client = chain::connect(rpc_url).await.unwrap();
	let metrics = Arc::new(ims_bridge::metrics::Metrics::new().unwrap());
	let (stop, shutdown) = tokio::sync::watch::channel(false);
	let submitter = tokio::spawn(chain::submit(
		client,
		journal.clone(),
		subxt_signer::sr25519::dev::alice(),
		metrics.clone(),
		options,
		shutdown,
	));
	let started = Instant::now();
	while journal.depth().unwrap() != (0, 0) {
		assert!(started.elapsed() < timeout, "the journal never drained");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let took = started.elapsed();
	stop.send_replace(true);
	submitter.await.unwrap();
	(took, metrics)
}

/// The submitter drains more than one transaction's worth of audit records
/// into a real `ims-node`: full batches sent together under consecutive
/// nonces, every record recorded once, in order, and the journal emptied.
#[tokio::test(flavor = "multi_thread")]
async fn audit_records_beyond_one_batch_are_all_finalized_once() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 2_500;
	let (_base, _node, setup) = dev_chain().await;
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(audit_entries(0..RECORDS)).await.unwrap();
	journal.settle().await.unwrap();
	let first = next_sequence(&setup.rpc_url).await;
	assert_eq!(first, 0, "nothing recorded before the submitter starts");

	let (took, metrics) = drain(&setup.rpc_url, &journal, Duration::from_secs(120)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	// 1024 + 1024 + 452 records: three batches, submitted in one round.
	assert_eq!(metrics.batches.get(), 3);
	assert_eq!(metrics.batch_latency.get_sample_count(), 3);
	println!("{RECORDS} records finalized in {:.1} s", took.as_secs_f64());
}

/// While audit rounds await finality, other transactions of the same
/// account (as an admin command's import would be) take the nonces after
/// them: every one of them lands, and so does every record, once.
#[tokio::test(flavor = "multi_thread")]
async fn transactions_beside_audit_rounds_take_the_following_nonces() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 40_000;
	let (_base, _node, setup) = dev_chain().await;
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	for at in (0..RECORDS).step_by(10_000) {
		journal.append(audit_entries(at..at + 10_000)).await.unwrap();
	}
	journal.settle().await.unwrap();
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice();
	let beside = async {
		// Let the first round get on its way.
		tokio::time::sleep(Duration::from_secs(1)).await;
		for i in 0..3u8 {
			let remark = ims::transactions().system().remark(vec![i; 8]);
			chain::submit_finalized(&client, &alice, &remark)
				.await
				.unwrap_or_else(|e| panic!("transaction {i} beside the audit rounds: {e}"));
		}
	};
	let ((_, metrics), ()) =
		tokio::join!(drain(&setup.rpc_url, &journal, Duration::from_secs(180)), beside);
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	// 39 full batches and one of 64 records, each counted once finalized.
	assert_eq!(metrics.batches.get(), 40);
}

/// Batches the chain takes into blocks and then refuses (here the bridge's
/// account has renounced its HssFront role, so `audit.submit` and
/// `record_registrations` fail in dispatch) stay in the journal and go
/// again: the audit batch once the finalized head has passed its block
/// without recording it (the in-flight timeout, the fallback, is set
/// beyond the test's length), the registration batch after backoff. Once
/// the role is granted back, every record is recorded once and the report
/// stands.
#[tokio::test(flavor = "multi_thread")]
async fn refused_batches_stay_in_the_journal_until_the_chain_takes_them() {
	use ims_bridge::journal::{Entry, RegistrationReport};
	use ims_primitives::{ImpuId, Name, RegistrationState};
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 100;
	let (_base, _node, setup) = dev_chain().await;
	let impi = format!("dora@{REALM}");
	let impu = format!("sip:{impi}");
	setup.add(
		&["--subscription", "dora", "--impi", &impi, "--impu", &impu],
		&[("IMS_BRIDGE_PASSWORD", "secret")],
	);
	let scscf = format!("sip:scscf-after-refusal.{REALM}");
	let registered = format!("registration: Registered at {scscf}\n");
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice();
	let account: subxt::utils::AccountId32 = alice.public_key().into();
	let front = || ims::runtime_types::ims_primitives::access::Role::HssFront;
	let renounce = ims::transactions().access().revoke_role(0, account, front());
	chain::submit_finalized(&client, &alice, &renounce).await.unwrap();
	let finalized_nonce = || async {
		let at = client.at_current_block().await.unwrap();
		at.transactions().account_nonce(&account).await.unwrap()
	};
	let before = finalized_nonce().await;

	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	let mut entries = audit_entries(0..RECORDS);
	entries.push(Entry::Registration(RegistrationReport {
		impu: ImpuId::from(setup.pseudonym(&impu)),
		state: RegistrationState::Registered,
		scscf: Some(Name::truncate_from(scscf.clone().into_bytes())),
	}));
	journal.append(entries).await.unwrap();
	journal.settle().await.unwrap();
	let options = chain::SubmitOptions { in_flight_timeout: Duration::from_secs(3600) };
	let refused_then_granted = async {
		// Two of the submitter's transactions finalized: the first audit
		// batch is one of them (sent at once, and again only after it), and
		// the first registration batch was sent before the grant below,
		// whose nonce follows it. Both are refused.
		let started = Instant::now();
		while finalized_nonce().await < before + 2 {
			assert!(started.elapsed() < Duration::from_secs(120), "no batch reached finality");
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
		assert_eq!(journal.depth().unwrap(), (RECORDS, 1), "nothing refused leaves the journal");
		assert_eq!(next_sequence(&setup.rpc_url).await, 0, "no record taken");
		assert!(!setup.show(&impu).contains(&registered), "no report taken");
		let grant = ims::transactions().access().grant_role(0, account, front(), None);
		chain::submit_finalized(&client, &alice, &grant).await.unwrap();
	};
	let ((_, metrics), ()) = tokio::join!(
		drain_with(&setup.rpc_url, &journal, Duration::from_secs(240), options),
		refused_then_granted
	);
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	assert_eq!(metrics.batches.get(), 1, "the batch counted once, when recorded");
	let failures = |queue: &str| metrics.submission_failures.with_label_values(&[queue]).get();
	assert!(failures("audit") >= 1, "the refused audit batch taken for lost, then sent again");
	assert!(failures("registrations") >= 1, "the refused registration batch seen to fail");
	let shown = setup.show(&impu);
	assert!(shown.contains(&registered), "expected {registered:?} in:\n{shown}");
}

/// Another holder of the bridge's key (a second process, an operator's
/// wallet) takes a nonce the submitter is about to use: a transaction
/// waits in the pool at the nonce of the sixth audit batch of the
/// submitter's first round, and, small, outranks it. The pool refuses that
/// batch, the run ends, and the submitter starts again from the finalized
/// state's nonce until the chain takes the rest: every record is recorded
/// once, and the other transaction lands too.
#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_taken_by_another_holder_of_the_key_is_recovered_from() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	const RECORDS: u64 = 8 * chain::AUDIT_BATCH as u64;
	let (_base, _node, setup) = dev_chain().await;
	let client = chain::connect(&setup.rpc_url).await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice();
	let account: subxt::utils::AccountId32 = alice.public_key().into();
	let at = client.at_current_block().await.unwrap();
	let nonce = at.transactions().account_nonce(&account).await.unwrap();
	// Signed and sent as another process would: not through this
	// process's turns, at a nonce ahead of the chain's.
	let params = subxt::config::PolkadotExtrinsicParamsBuilder::<chain::Config>::new()
		.nonce(nonce + 5)
		.build();
	let remark = ims::transactions().system().remark(b"another holder of the key".to_vec());
	let watching =
		at.transactions().sign_and_submit_then_watch(&remark, &alice, params).await.unwrap();
	let other = tokio::spawn(watching.wait_for_finalized_success());

	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(audit_entries(0..RECORDS)).await.unwrap();
	journal.settle().await.unwrap();
	let (took, metrics) = drain(&setup.rpc_url, &journal, Duration::from_secs(240)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, RECORDS, "every record recorded once");
	let failures = metrics.submission_failures.with_label_values(&["audit"]).get();
	assert!(failures >= 1, "the batch at the taken nonce refused");
	tokio::time::timeout(Duration::from_secs(60), other)
		.await
		.expect("the other transaction finalized")
		.unwrap()
		.expect("the other transaction succeeded");
	println!(
		"{RECORDS} records finalized in {:.1} s after {failures} failed rounds",
		took.as_secs_f64()
	);
}

/// Registration reports beyond one round of batches: they all leave the
/// journal, and for each identity the chain ends with the newest report,
/// though the two identities' reports alternate and change state at every
/// report (a round applied out of order, or an older report sent after a
/// newer one, would leave another state).
#[tokio::test(flavor = "multi_thread")]
async fn registration_reports_drain_in_rounds_and_the_newest_stands() {
	use ims_bridge::journal::{Entry, RegistrationReport};
	use ims_primitives::{ImpuId, Name, RegistrationState};
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	// Two rounds and a part: 16 x 64 + 16 x 64 + 100.
	let reports = 2 * chain::REGISTRATION_BATCH * chain::REGISTRATION_PIPELINE + 100;
	let (_base, _node, setup) = dev_chain().await;
	let users = ["dora", "ed"];
	let mut impus = Vec::new();
	for user in users {
		let impi = format!("{user}@{REALM}");
		let impu = format!("sip:{impi}");
		setup.add(
			&["--subscription", user, "--impi", &impi, "--impu", &impu],
			&[("IMS_BRIDGE_PASSWORD", "secret")],
		);
		impus.push((impu.clone(), ImpuId::from(setup.pseudonym(&impu))));
	}
	let states = [
		RegistrationState::Registered,
		RegistrationState::Unregistered,
		RegistrationState::NotRegistered,
	];
	let entries: Vec<Entry> = (0..reports)
		.map(|i| {
			let state = states[(i / 2) % states.len()];
			let scscf = (state != RegistrationState::NotRegistered)
				.then(|| Name::truncate_from(format!("sip:scscf-{i}.{REALM}").into_bytes()));
			Entry::Registration(RegistrationReport { impu: impus[i % 2].1, state, scscf })
		})
		.collect();
	// The newest of each identity.
	let newest: Vec<String> = (reports - 2..reports)
		.map(|i| {
			let state = states[(i / 2) % states.len()];
			match state {
				RegistrationState::NotRegistered => format!("registration: {state:?}\n"),
				_ => format!("registration: {state:?} at sip:scscf-{i}.{REALM}\n"),
			}
		})
		.collect();
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	journal.append(entries).await.unwrap();
	journal.settle().await.unwrap();
	assert_eq!(journal.depth().unwrap(), (0, reports as u64));

	let (took, _) = drain(&setup.rpc_url, &journal, Duration::from_secs(600)).await;
	println!(
		"{reports} registration reports finalized in {:.1} s ({:.0} a second)",
		took.as_secs_f64(),
		reports as f64 / took.as_secs_f64()
	);
	for (i, (impu, _)) in impus.iter().enumerate() {
		let shown = setup.show(impu);
		let slot = (reports - 2 + i) % 2;
		assert!(shown.contains(&newest[slot]), "{impu}: expected {:?} in:\n{shown}", newest[slot]);
	}
}

/// How fast the submitter empties a full journal into `ims-node --dev`:
/// `BENCH_RECORDS` records (200,000 by default) are journaled first, then
/// the submitter is started and timed until the journal is empty and the
/// chain's `NextSequence` has them all. Prints records per second, rounds
/// and the time from a round's submission to its finality.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-drain.sh"]
async fn audit_drain_rate() {
	let _turn = IN_PROCESS_SUBMITTER.lock().await;
	let records: u64 =
		std::env::var("BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
	let (_base, _node, setup) = dev_chain().await;
	let dir = tempfile::tempdir().unwrap();
	let journal = ims_bridge::journal::Journal::open(&dir.path().join("journal.redb")).unwrap();
	let mut at = 0;
	while at < records {
		let end = (at + 10_000).min(records);
		journal.append(audit_entries(at..end)).await.unwrap();
		at = end;
	}
	journal.settle().await.unwrap();
	let (took, metrics) = drain(&setup.rpc_url, &journal, Duration::from_secs(3600)).await;
	assert_eq!(next_sequence(&setup.rpc_url).await, records, "every record recorded once");
	let batches = metrics.batches.get();
	let latency = metrics.batch_latency.get_sample_sum() / batches.max(1) as f64;
	println!(
		"drain: {records} records in {:.1} s: {:.0} records/s; {batches} batches of <= {}, \
		 {:.2} s mean from submission to finality",
		took.as_secs_f64(),
		records as f64 / took.as_secs_f64(),
		chain::AUDIT_BATCH,
		latency,
	);
}

// ---- REGISTER latency: the bridge against a static stand-in HSS ----

use ims_bridge::diameter::codec::{Avp, Message};
use ims_bridge::diameter::dict::{avp, command, experimental};
use ims_bridge::diameter::peer::{
	answer_for, AllowedPeer, Application, Context, LocalIdentity, PeerInfo, PeerPolicy,
};

/// The benchmark's subscriber.
const BENCH_USER: &str = "bench";
const BENCH_PASSWORD: &str = "bench-secret";

/// An HSS that answers the benchmark's subscriber from constants, with the
/// AVPs the bridge sends for it: UAR with the S-CSCF's name and
/// Experimental-Result 2001 (first registration) or, once a SAR registered
/// it, 2002 (subsequent), MAR with a SIP Digest item holding a fixed HA1,
/// SAR with a fixed IMSSubscription (the bridge's document for the same
/// subscriber), in the bridge's order (its Result-Code last). Nothing is
/// looked up, decrypted, journaled or signed: the
/// fastest answer an HSS can give, the baseline the bridge is measured
/// against.
struct StaticHss {
	local: LocalIdentity,
	scscf: String,
	ha1: String,
	user_data: String,
	registered: std::sync::atomic::AtomicBool,
}

impl Application for StaticHss {
	fn handle(
		&self,
		_peer: &PeerInfo,
		request: Message,
	) -> impl std::future::Future<Output = Message> + Send {
		let mut answer = answer_for(&self.local, &request);
		let copy = |def| request.find(def).cloned();
		let code = |code| Avp::u32_of(&avp::RESULT_CODE, code);
		match request.header.command {
			command::USER_AUTHORIZATION => {
				let registered = self.registered.load(std::sync::atomic::Ordering::Relaxed);
				let result = if registered {
					experimental::SUBSEQUENT_REGISTRATION
				} else {
					experimental::FIRST_REGISTRATION
				};
				answer
					.push(Avp::utf8_of(&avp::SERVER_NAME, &self.scscf))
					.push(ims_bridge::cx::experimental_result(result));
			},
			command::MULTIMEDIA_AUTH => {
				answer.avps.extend(copy(&avp::USER_NAME));
				answer.avps.extend(copy(&avp::PUBLIC_IDENTITY));
				answer
					.push(Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, 1))
					.push(ims_bridge::cx::sip_digest_item(REALM, &self.ha1))
					.push(code(2001));
			},
			command::SERVER_ASSIGNMENT => {
				self.registered.store(true, std::sync::atomic::Ordering::Relaxed);
				answer.avps.extend(copy(&avp::USER_NAME));
				answer
					.push(Avp::octets_of(&avp::USER_DATA, self.user_data.as_bytes().to_vec()))
					.push(code(2001));
			},
			_ => {
				answer.push(code(3001));
			},
		}
		std::future::ready(answer)
	}
}

/// Serves [`StaticHss`] on the bridge's port until `stop` is sent.
async fn start_static_hss(
	setup: &Setup,
) -> (Arc<Context<StaticHss>>, tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
	let local = LocalIdentity {
		origin_host: "127.0.0.1".into(),
		origin_realm: REALM.into(),
		host_ip: "127.0.0.1".parse().unwrap(),
		product_name: "static-hss".into(),
	};
	let peer = |host: &str| AllowedPeer {
		origin_host: format!("{host}.{REALM}"),
		addresses: vec!["127.0.0.1".parse().unwrap()],
	};
	let policy = PeerPolicy {
		allowed: vec![peer("icscf"), peer("scscf")],
		requests_per_second: 1_000_000,
		burst: 1_000_000,
		max_message: 65536,
		idle_timeout: Duration::from_secs(120),
		request_timeout: Duration::from_secs(5),
	};
	let impi = format!("{BENCH_USER}@{REALM}");
	let app = StaticHss {
		local: local.clone(),
		scscf: format!("sip:127.0.0.1:{}", setup.scscf_port),
		ha1: ims_bridge::auth::digest_ha1(&impi, REALM, BENCH_PASSWORD),
		user_data: format!(
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?><IMSSubscription><PrivateID>{impi}</PrivateID>\
			 <ServiceProfile><PublicIdentity><BarringIndication>0</BarringIndication>\
			 <Identity>sip:{impi}</Identity></PublicIdentity></ServiceProfile></IMSSubscription>"
		),
		registered: Default::default(),
	};
	let ctx = Arc::new(Context::new(local, policy, app));
	let listener = tokio::net::TcpListener::bind(("127.0.0.1", setup.hss_port)).await.unwrap();
	let (stop, watch) = tokio::sync::watch::channel(false);
	let server = tokio::spawn(ims_bridge::server::run(listener, ctx.clone(), 8, None, watch));
	(ctx, stop, server)
}

fn md5_hex(text: &str) -> String {
	use md5::{Digest, Md5};
	hex::encode(Md5::digest(text.as_bytes()))
}

/// The value of `name="value"` or `name=value` in a challenge.
fn challenge_param(header: &str, name: &str) -> Option<String> {
	let at = header.find(&format!("{name}="))? + name.len() + 1;
	let rest = &header[at..];
	Some(match rest.strip_prefix('"') {
		Some(quoted) => quoted.split('"').next()?.to_string(),
		None => rest.split([',', ' ', '\r']).next()?.to_string(),
	})
}

/// A SIP UA for the benchmark: one REGISTER flow at a time over UDP to the
/// I-CSCF (REGISTER, 401 with a digest challenge, REGISTER with the
/// response, 200), timed from the first send to the 200.
struct BenchUa {
	socket: UdpSocket,
	icscf: u16,
	flows: u32,
}

impl BenchUa {
	fn new(icscf: u16) -> BenchUa {
		let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
		socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
		BenchUa { socket, icscf, flows: 0 }
	}

	fn request(&self, flow: u32, cseq: u32, authorization: &str) -> String {
		let port = self.socket.local_addr().unwrap().port();
		format!(
			"REGISTER sip:{REALM} SIP/2.0\r\n\
			 Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-bench-{flow}-{cseq}\r\n\
			 Max-Forwards: 70\r\n\
			 From: <sip:{BENCH_USER}@{REALM}>;tag=bench{flow}\r\n\
			 To: <sip:{BENCH_USER}@{REALM}>\r\n\
			 Call-ID: bench-{flow}@127.0.0.1\r\n\
			 CSeq: {cseq} REGISTER\r\n\
			 Contact: <sip:{BENCH_USER}@127.0.0.1:{port}>\r\n\
			 Expires: 600\r\n\
			 P-Visited-Network-ID: \"{REALM}\"\r\n\
			 Authorization: {authorization}\r\n\
			 Content-Length: 0\r\n\r\n"
		)
	}

	/// The final response to `cseq` of `flow` (provisional ones skipped).
	fn response(&self, flow: u32, cseq: u32) -> Result<(u16, String), String> {
		let mut buffer = [0u8; 8192];
		loop {
			let n = self.socket.recv(&mut buffer).map_err(|e| format!("no response: {e}"))?;
			let text = String::from_utf8_lossy(&buffer[..n]).to_string();
			let status: u16 = text
				.split(' ')
				.nth(1)
				.and_then(|s| s.parse().ok())
				.ok_or_else(|| format!("not a response: {text}"))?;
			let ours = text.contains(&format!("Call-ID: bench-{flow}@"))
				&& text.contains(&format!("CSeq: {cseq} REGISTER"));
			if ours && status >= 200 {
				return Ok((status, text));
			}
		}
	}

	/// The Authorization answering the challenge in `response`.
	fn authorization(flow: u32, response: &str) -> Result<String, String> {
		let impi = format!("{BENCH_USER}@{REALM}");
		let uri = format!("sip:{REALM}");
		let challenge = response
			.lines()
			.find(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
			.ok_or("401 without WWW-Authenticate")?;
		let nonce = challenge_param(challenge, "nonce").ok_or("no nonce")?;
		let realm = challenge_param(challenge, "realm").ok_or("no realm")?;
		let ha1 = md5_hex(&format!("{impi}:{realm}:{BENCH_PASSWORD}"));
		let ha2 = md5_hex(&format!("REGISTER:{uri}"));
		let cnonce = format!("{flow:08x}");
		let fields =
			format!("username=\"{impi}\",realm=\"{realm}\",nonce=\"{nonce}\",uri=\"{uri}\"");
		Ok(match challenge_param(challenge, "qop") {
			Some(qop) if qop.split(',').any(|q| q.trim() == "auth") => {
				let response = md5_hex(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
				format!(
					"Digest {fields},response=\"{response}\",algorithm=MD5,qop=auth,nc=00000001,\
					 cnonce=\"{cnonce}\""
				)
			},
			_ => {
				let response = md5_hex(&format!("{ha1}:{nonce}:{ha2}"));
				format!("Digest {fields},response=\"{response}\",algorithm=MD5")
			},
		})
	}

	/// One registration: its latency, and how many times the S-CSCF
	/// challenged the authorized REGISTER again (Kamailio 5.6's `ims_auth`
	/// now and then does not find the vector of a challenge it has just
	/// sent; a UE answers the new challenge, and so does this one).
	fn register(&mut self) -> Result<(Duration, u32), String> {
		self.flows += 1;
		let flow = self.flows;
		let started = Instant::now();
		let first = format!(
			"Digest username=\"{BENCH_USER}@{REALM}\",realm=\"{REALM}\",nonce=\"\",\
			 uri=\"sip:{REALM}\",response=\"\""
		);
		let send = |cseq: u32, authorization: &str| {
			self.socket
				.send_to(
					self.request(flow, cseq, authorization).as_bytes(),
					("127.0.0.1", self.icscf),
				)
				.map_err(|e| e.to_string())
		};
		send(1, &first)?;
		let (mut status, mut text) = self.response(flow, 1)?;
		for cseq in 2..8 {
			if status != 401 {
				return Err(format!("expected 401, got {status}"));
			}
			send(cseq, &Self::authorization(flow, &text)?)?;
			(status, text) = self.response(flow, cseq)?;
			if status == 200 {
				return Ok((started.elapsed(), cseq - 2));
			}
		}
		Err(format!("no 200 after six challenges (last {status})"))
	}
}

/// One HSS under test and the Kamailio I-CSCF and S-CSCF in front of it.
#[derive(Clone, Copy)]
struct Side {
	icscf_port: u16,
	/// The process groups of the I-CSCF and of the S-CSCF.
	groups: [u32; 2],
	/// The process the HSS runs in.
	hss_pid: u32,
	/// Which of its threads are the HSS's (the stand-in shares the test
	/// process with the UA and the log readers).
	hss_thread: fn(&str) -> bool,
}

/// What one side's blocks gave, summed.
#[derive(Default)]
struct Tally {
	latencies: Vec<Duration>,
	/// Authorized REGISTERs challenged again.
	rechallenged: u32,
	/// Registrations that got no 200 (left out of the latencies).
	failed: Vec<String>,
	/// Each block's mean latency, in ms.
	block_means: Vec<f64>,
	/// CPU time in ms: I-CSCF, S-CSCF, node.
	cpu: [f64; 3],
	/// The HSS's CPU time in ms and the times its threads were switched
	/// in, by thread name.
	hss_threads: std::collections::BTreeMap<String, (f64, u64)>,
}

impl Tally {
	fn hss_cpu(&self) -> f64 {
		self.hss_threads.values().map(|(ms, _)| ms).sum()
	}

	fn hss_runs(&self) -> u64 {
		self.hss_threads.values().map(|(_, runs)| runs).sum()
	}
}

/// `count` registrations one after the other through `side`, added to
/// `tally` with the CPU time each process took meanwhile.
fn register_block(ua: &mut BenchUa, side: &Side, node_pid: u32, count: usize, tally: &mut Tally) {
	let groups_before = side.groups.map(group_cpu_ns);
	let node_before = cpu_ns(node_pid);
	let hss_before = thread_sched(side.hss_pid);
	let mut sum = Duration::ZERO;
	let mut answered = 0u32;
	for _ in 0..count {
		match ua.register() {
			Ok((latency, again)) => {
				tally.latencies.push(latency);
				tally.rechallenged += again;
				sum += latency;
				answered += 1;
			},
			Err(e) => tally.failed.push(e),
		}
	}
	let hss_after = thread_sched(side.hss_pid);
	let node_after = cpu_ns(node_pid);
	let groups_after = side.groups.map(group_cpu_ns);
	for i in 0..2 {
		tally.cpu[i] += ms_between(groups_before[i], groups_after[i]);
	}
	tally.cpu[2] += ms_between(node_before, node_after);
	for (name, (ns, runs)) in hss_after.iter().filter(|(name, _)| (side.hss_thread)(name)) {
		let (ns_before, runs_before) = hss_before.get(name).copied().unwrap_or((0, 0));
		let entry = tally.hss_threads.entry(name.clone()).or_insert((0.0, 0));
		entry.0 += ms_between(ns_before, *ns);
		entry.1 += runs.saturating_sub(runs_before);
	}
	if answered > 0 {
		tally.block_means.push(sum.as_secs_f64() * 1e3 / f64::from(answered));
	}
}

/// The benchmark's schedule for one bridge mode: `warmup` unmeasured
/// registrations through each side, then `pairs` pairs of blocks of `block`
/// registrations, the bridge's and the stand-in's, in the order ABBA BAAB
/// ... so that neither goes first more often, nor right after itself.
fn paired_blocks(
	bridge: &Side,
	stand_in: &Side,
	node_pid: u32,
	warmup: usize,
	pairs: usize,
	block: usize,
) -> (Tally, Tally) {
	let mut uas = [BenchUa::new(bridge.icscf_port), BenchUa::new(stand_in.icscf_port)];
	for ua in &mut uas {
		for _ in 0..warmup {
			let _ = ua.register();
		}
	}
	let sides = [bridge, stand_in];
	let mut tallies = [Tally::default(), Tally::default()];
	for pair in 0..pairs {
		let first = pair % 2;
		for side in [first, 1 - first] {
			register_block(&mut uas[side], sides[side], node_pid, block, &mut tallies[side]);
		}
	}
	let [bridge, stand_in] = tallies;
	(bridge, stand_in)
}

/// CPU time the threads of a process have used so far, in nanoseconds,
/// and the times they were switched in (each wake-up or preemption), by
/// thread name (threads of one name summed), from the scheduler's own
/// count in `/proc/<pid>/task/<tid>/schedstat` (exact, unlike the 10 ms
/// ticks of `/proc/<pid>/stat`). A thread that ended between two samples
/// drops out of the later one.
fn thread_sched(pid: u32) -> std::collections::BTreeMap<String, (u64, u64)> {
	let mut out = std::collections::BTreeMap::new();
	let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return out };
	for task in tasks.flatten() {
		let path = task.path();
		let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
		let (ns, runs) = schedstat(&path);
		let entry = out.entry(name.trim().to_string()).or_insert((0, 0));
		entry.0 += ns;
		entry.1 += runs;
	}
	out
}

/// A task's `schedstat`: nanoseconds on a CPU (its first field) and
/// timeslices run (its third).
fn schedstat(task: &Path) -> (u64, u64) {
	let text = std::fs::read_to_string(task.join("schedstat")).unwrap_or_default();
	let fields: Vec<u64> = text.split_whitespace().map(|v| v.parse().unwrap_or(0)).collect();
	(fields.first().copied().unwrap_or(0), fields.get(2).copied().unwrap_or(0))
}

/// CPU time of a process, every thread included, in nanoseconds.
fn cpu_ns(pid: u32) -> u64 {
	thread_sched(pid).values().map(|(ns, _)| ns).sum()
}

/// CPU time of every process of a process group (a Kamailio and its
/// workers), in nanoseconds.
fn group_cpu_ns(group: u32) -> u64 {
	let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
	let mut total = 0;
	for entry in entries.flatten() {
		let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
			continue;
		};
		let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
		// After the name: state, ppid, pgrp.
		let pgrp = stat
			.rsplit_once(')')
			.and_then(|(_, rest)| rest.split_whitespace().nth(2))
			.and_then(|v| v.parse::<u32>().ok());
		if pgrp == Some(group) {
			total += cpu_ns(pid);
		}
	}
	total
}

/// Milliseconds between two samples of CPU time in nanoseconds.
fn ms_between(before: u64, after: u64) -> f64 {
	after.saturating_sub(before) as f64 / 1e6
}

fn summary(latencies: &mut [Duration]) -> (f64, f64, f64, f64) {
	latencies.sort();
	let at = |p: f64| {
		let i = ((latencies.len() as f64 * p / 100.0).ceil() as usize).clamp(1, latencies.len());
		latencies[i - 1].as_secs_f64() * 1e3
	};
	let mean =
		latencies.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e3 / latencies.len() as f64;
	(at(50.0), at(90.0), at(99.0), mean)
}

/// The value at `p` (0 to 1) of sorted `values`, interpolated.
fn quantile(sorted: &[f64], p: f64) -> f64 {
	let Some(last) = sorted.len().checked_sub(1) else { return f64::NAN };
	let at = p * last as f64;
	let (low, high) = (at.floor() as usize, at.ceil() as usize);
	sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64)
}

/// The REGISTER latency benchmark (run by `scripts/bench-register.sh`):
/// the bridge (journal `with-answer`, then `before-answer`) and
/// [`StaticHss`] run at the same time, each behind a Kamailio I-CSCF and
/// S-CSCF of its own from the same files, and one UA sends its
/// registrations to the two in alternating blocks (ABBA), so that both
/// see the same machine: on this VM its speed drifts by more than the gap
/// being measured within seconds. Prints, per bridge mode, both sides'
/// latencies, the ratio of their means and the median and quartiles of the
/// block pairs' ratios, and the CPU time each process took per
/// registration.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-register.sh"]
async fn register_latency_bridge_against_a_static_hss() {
	let setting = |name: &str, default: usize| -> usize {
		std::env::var(name).ok().map_or(default, |v| {
			v.parse()
				.ok()
				.filter(|n| *n > 0)
				.unwrap_or_else(|| panic!("{name}: {v:?} is not a count"))
		})
	};
	let pairs = setting("BENCH_PAIRS", 60);
	let block = setting("BENCH_BLOCK", 50);
	let warmup = 20;
	let (_base, node, setup) = dev_chain().await;
	let node_pid = node.child.id();
	let impi = format!("{BENCH_USER}@{REALM}");
	let impu = format!("sip:{impi}");
	setup.add(
		&["--subscription", BENCH_USER, "--impi", &impi, "--impu", &impu],
		&[("IMS_BRIDGE_PASSWORD", BENCH_PASSWORD)],
	);
	let config = std::fs::read_to_string(&setup.config).unwrap();
	// The journal's flush interval with-answer (BENCH_FLUSH_MS; the
	// bridge's default otherwise).
	let flush_ms = std::env::var("BENCH_FLUSH_MS").ok().map(|v| {
		v.parse::<u64>().unwrap_or_else(|_| panic!("BENCH_FLUSH_MS: {v:?} is not a count"))
	});
	let with_sync = |sync: &str| {
		let path = setup.dir.path().join(format!("bridge-{sync}.toml"));
		let interval = match flush_ms {
			Some(ms) if sync == "with-answer" => format!("\nflush_interval_ms = {ms}"),
			_ => String::new(),
		};
		let text = config.replace(
			"path = \"journal.redb\"",
			&format!("path = \"journal.redb\"\nsync = \"{sync}\"{interval}"),
		);
		std::fs::write(&path, text).unwrap();
		path
	};
	// The bridge's modes to measure (BENCH_MODES, comma-separated).
	let wanted = std::env::var("BENCH_MODES").unwrap_or("with-answer,before-answer".into());
	let mut modes: Vec<(String, PathBuf)> = Vec::new();
	for sync in wanted.split(',').map(str::trim).filter(|m| !m.is_empty()) {
		assert!(
			["with-answer", "before-answer"].contains(&sync),
			"BENCH_MODES: {sync} is neither with-answer nor before-answer"
		);
		let label = match flush_ms {
			Some(ms) if sync == "with-answer" => format!("bridge, journal {sync} every {ms} ms"),
			_ => format!("bridge, journal {sync}"),
		};
		modes.push((label, with_sync(sync)));
	}

	// The stand-in and its CSCFs (ports and files of their own) run
	// throughout.
	let rpc_port = setup.rpc_url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap();
	let stand_in_setup = Setup::new(rpc_port);
	let (ctx, stop, server) = start_static_hss(&stand_in_setup).await;
	let stand_in_scscf = stand_in_setup.kamailio("scscf");
	let stand_in_icscf = stand_in_setup.kamailio("icscf");
	wait_for("the stand-in's CSCFs connected", Duration::from_secs(60), || {
		ctx.peers.connected().len() == 2
	});
	let stand_in = Side {
		icscf_port: stand_in_setup.icscf_port,
		groups: [stand_in_icscf.child.id(), stand_in_scscf.child.id()],
		hss_pid: std::process::id(),
		hss_thread: |name| name == "tokio-rt-worker",
	};

	for (label, config) in &modes {
		let mut bridge = setup.start_bridge_with(config);
		let mut scscf = setup.kamailio("scscf");
		let mut icscf = setup.kamailio("icscf");
		wait_for("the bridge's CSCFs connected", Duration::from_secs(60), || {
			setup.metric("ims_bridge_peers") == Some(2.0)
		});
		let side = Side {
			icscf_port: setup.icscf_port,
			groups: [icscf.child.id(), scscf.child.id()],
			hss_pid: bridge.child.id(),
			hss_thread: |_| true,
		};
		// The UA in a thread of its own, which the stand-in's CPU time
		// leaves out.
		let (done, ran) = tokio::sync::oneshot::channel();
		std::thread::Builder::new()
			.name("bench-ua".into())
			.spawn(move || {
				let _ = done.send(paired_blocks(&side, &stand_in, node_pid, warmup, pairs, block));
			})
			.unwrap();
		let tallies = ran.await.unwrap();
		let cx_sum = setup.metric("ims_bridge_cx_latency_seconds_sum").unwrap_or(0.0);
		let cx_count = setup.metric("ims_bridge_cx_latency_seconds_count").unwrap_or(0.0);
		icscf.terminate(Duration::from_secs(10));
		scscf.terminate(Duration::from_secs(10));
		assert!(bridge.terminate(Duration::from_secs(15)), "the bridge stops on SIGTERM");
		report_pairs(label, tallies, pairs * block);
		// What the bridge warned of during the run, if anything.
		for line in bridge.log().lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")) {
			println!("register-bench: {label}: bridge log: {line}");
		}
		// The bridge's own time per Cx request (decoded to answered),
		// warm-up included.
		println!(
			"register-bench: {label}: {cx_count} Cx requests handled in {:.3} ms on average",
			cx_sum * 1e3 / cx_count.max(1.0)
		);
	}
	for mut cscf in [stand_in_icscf, stand_in_scscf] {
		cscf.terminate(Duration::from_secs(10));
	}
	stop.send_replace(true);
	let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
}

/// Prints one bridge mode's figures against the stand-in's alongside it.
fn report_pairs(label: &str, (mut bridge, mut stand_in): (Tally, Tally), count: usize) {
	for (name, tally) in [(label, &bridge), ("static stand-in HSS", &stand_in)] {
		assert!(
			tally.failed.len() * 10 < count,
			"{name}: {} of {count} registrations failed: {:?}",
			tally.failed.len(),
			tally.failed
		);
	}
	let mut figures = Vec::new();
	for (name, tally) in [(label, &mut bridge), ("static stand-in HSS", &mut stand_in)] {
		let (p50, p90, p99, mean) = summary(&mut tally.latencies);
		println!(
			"register-bench: {name}: {} registrations, p50 {p50:.2} ms, p90 {p90:.2} ms, \
			 p99 {p99:.2} ms, mean {mean:.2} ms, challenged again {}, failed {}",
			tally.latencies.len(),
			tally.rechallenged,
			tally.failed.len()
		);
		if !tally.failed.is_empty() {
			let mut reasons = tally.failed.clone();
			reasons.sort();
			reasons.dedup();
			println!("register-bench: {name}: failures: {}", reasons.join("; "));
		}
		figures.push((p50, mean));
	}
	let mut ratios: Vec<f64> =
		bridge.block_means.iter().zip(&stand_in.block_means).map(|(b, s)| b / s).collect();
	ratios.sort_by(f64::total_cmp);
	println!(
		"register-bench: ratio {label} / static stand-in HSS: mean {:.3}, p50 {:.3}; \
		 {} block pairs: median {:.3}, quartiles {:.3} to {:.3} (goal <= 1.10)",
		figures[0].1 / figures[1].1,
		figures[0].0 / figures[1].0,
		ratios.len(),
		quantile(&ratios, 0.5),
		quantile(&ratios, 0.25),
		quantile(&ratios, 0.75),
	);
	let per = |ms: f64, tally: &Tally| ms * 1e3 / tally.latencies.len().max(1) as f64;
	for (name, tally) in [(label, &bridge), ("static stand-in HSS", &stand_in)] {
		let registrations = tally.latencies.len().max(1) as f64;
		let threads: Vec<String> = tally
			.hss_threads
			.iter()
			.filter(|(_, (ms, _))| *ms >= 0.05)
			.map(|(name, (ms, runs))| {
				format!(
					"{name} {:.0} µs, {:.1} runs",
					per(*ms, tally),
					*runs as f64 / registrations
				)
			})
			.collect();
		println!(
			"register-bench: {name}: CPU per registration (µs): I-CSCF {:.0}, S-CSCF {:.0}, \
			 node {:.0}, HSS {:.0} in {:.1} runs of its threads (by thread: {})",
			per(tally.cpu[0], tally),
			per(tally.cpu[1], tally),
			per(tally.cpu[2], tally),
			per(tally.hss_cpu(), tally),
			tally.hss_runs() as f64 / registrations,
			threads.join("; "),
		);
	}
}
