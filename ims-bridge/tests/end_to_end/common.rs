//! The harness of the bridge's end-to-end tests: ports, child processes
//! with their logs, `ims-node --dev`, and a bridge configured for Debian's
//! Kamailio I-CSCF and S-CSCF (from `tests/ims/`) and SIPp.
//!
//! Needs `kamailio`, `kamailio-ims-modules` and `sip-tester` (SIPp) from
//! Debian; `scripts/setup.sh` installs them.

#![allow(dead_code)]

use ims_bridge::chain::{self, ims};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub const REALM: &str = "ims.example.net";

pub use ims_test_harness::{free_tcp_port, free_udp_port, wait_for, Node, Proc};

pub fn write_secret(path: &Path, text: &str) {
	std::fs::write(path, text).unwrap();
	use std::os::unix::fs::PermissionsExt;
	std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub fn metric(port: u16, name: &str) -> Option<f64> {
	use std::io::{Read, Write};
	let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
	// A bridge that accepts and never answers fails the test, not hangs it.
	stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
	stream.set_write_timeout(Some(Duration::from_secs(10))).ok()?;
	stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
	let mut body = String::new();
	stream.read_to_string(&mut body).ok()?;
	body.lines()
		.filter(|l| l.starts_with(name) && !l.starts_with('#'))
		.map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0))
		.reduce(|a, b| a + b)
}

pub struct Setup {
	pub dir: tempfile::TempDir,
	pub config: PathBuf,
	pub hss_port: u16,
	pub metrics_port: u16,
	pub scscf_port: u16,
	pub icscf_port: u16,
	pub rpc_url: String,
}

/// Kamailio's module directory, wherever the machine's architecture put it
/// (Debian: `/usr/lib/<multiarch triple>/kamailio/modules`).
pub fn kamailio_modules() -> PathBuf {
	let multiarch = std::fs::read_dir("/usr/lib").unwrap().filter_map(Result::ok);
	multiarch
		.map(|entry| entry.path().join("kamailio/modules"))
		.chain([PathBuf::from("/usr/lib/kamailio/modules")])
		.find(|dir| dir.join("ims_icscf.so").exists())
		.expect("Kamailio's IMS modules are installed (scripts/setup.sh)")
}

pub fn fill(template: &str, values: &[(&str, String)]) -> String {
	values.iter().fold(template.to_string(), |text, (key, value)| text.replace(key, value))
}

impl Setup {
	pub fn new(rpc_port: u16) -> Setup {
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
role = "s-cscf"
server_name = "sip:127.0.0.1:{scscf_port}"

[[diameter.peers]]
origin_host = "icscf.{REALM}"
addresses = ["127.0.0.1"]
role = "i-cscf"

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

	pub fn write_kamailio_files(&self) {
		let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ims");
		let run = self.dir.path();
		let values = [
			("@RUNDIR@", run.display().to_string()),
			("@HSS_PORT@", self.hss_port.to_string()),
			("@SCSCF_PORT@", self.scscf_port.to_string()),
			("@ICSCF_PORT@", self.icscf_port.to_string()),
			("@SCSCF_DIAMETER_PORT@", free_tcp_port().to_string()),
			("@ICSCF_DIAMETER_PORT@", free_tcp_port().to_string()),
			("@MODULES@", kamailio_modules().display().to_string()),
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

	pub fn bridge_command(&self) -> Command {
		let mut command = Command::new(env!("CARGO_BIN_EXE_ims-bridge"));
		command.env("RUST_LOG", "info");
		command
	}

	pub fn start_bridge(&self) -> Proc {
		self.start_bridge_with(&self.config)
	}

	/// The bridge with another configuration file (same ports).
	pub fn start_bridge_with(&self, config: &Path) -> Proc {
		let bridge =
			Proc::spawn("ims-bridge", self.bridge_command().arg("run").arg("--config").arg(config));
		let port = self.hss_port;
		wait_for("the bridge's Diameter port", Duration::from_secs(60), || {
			TcpStream::connect(("127.0.0.1", port)).is_ok()
		});
		bridge
	}

	/// Runs `subscriber add` with `args` then `more`, in `env`; returns
	/// what it printed and how it exited.
	pub fn add_output(
		&self,
		args: &[&str],
		more: &[&str],
		env: &[(&str, &str)],
	) -> std::process::Output {
		let mut command = self.bridge_command();
		command.args(["subscriber", "add", "--config"]).arg(&self.config).args(["--realm", REALM]);
		command.args(args).args(more);
		for (k, v) in env {
			command.env(k, v);
		}
		command.output().unwrap()
	}

	/// `subscriber add` with `args` in `env`, which must succeed.
	pub fn add(&self, args: &[&str], env: &[(&str, &str)]) {
		let output = self.add_output(args, &[], env);
		assert!(
			output.status.success(),
			"subscriber add {args:?} failed:\n{}\n{}",
			String::from_utf8_lossy(&output.stdout),
			String::from_utf8_lossy(&output.stderr)
		);
	}

	/// Points the I-CSCF's and the S-CSCF's Diameter peer at these ports
	/// (tunnels) instead of the bridge's.
	pub fn route_cscfs_through(&self, icscf_port: u16, scscf_port: u16) {
		for (file, port) in [("icscf.xml", icscf_port), ("scscf.xml", scscf_port)] {
			let path = self.dir.path().join(file);
			let text = std::fs::read_to_string(&path).unwrap();
			let bridge = format!("port=\"{}\"", self.hss_port);
			assert!(text.contains(&bridge), "{file} names the bridge's port");
			std::fs::write(&path, text.replace(&bridge, &format!("port=\"{port}\""))).unwrap();
		}
	}

	/// Kamailio `name` with 256 MiB of shared memory: at the REGISTER
	/// benchmark's rate, transactions held for their wait timer fill
	/// Kamailio's 64 MiB within seconds, and a CSCF out of shared memory
	/// answers 500 or drops requests (`docs/benchmarks.md`).
	pub fn kamailio(&self, name: &'static str) -> Proc {
		Proc::spawn(
			name,
			Command::new("kamailio")
				.args(["-DD", "-E", "-f"])
				.arg(self.dir.path().join(format!("{name}.cfg")))
				.arg("-P")
				.arg(self.dir.path().join(format!("{name}.pid")))
				.args(["-m", "256", "-M", "8"]),
		)
	}

	/// Runs one SIPp scenario once for `user` (the user part of the IMPU;
	/// the IMPI is `user@ims.example.net`) with `credentials` (SIPp's -ap
	/// for digest; `@K@`, `@OP@`, `@AMF@` filled into the scenario for
	/// AKA); returns whether it passed.
	pub fn sipp(&self, scenario: &str, user: &str, credentials: &[&str]) -> bool {
		self.sipp_as(scenario, (user, &format!("{user}@{REALM}")), credentials)
	}

	/// [`Setup::sipp`] for a subscriber whose IMPU user part (`user`) and
	/// IMPI (`impi`) differ, as PyHSS names them (an MSISDN and an IMSI).
	pub fn sipp_as(
		&self,
		scenario: &str,
		(user, impi): (&str, &str),
		credentials: &[&str],
	) -> bool {
		let fields = format!("{user};{impi}");
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
			.args(["-au", impi])
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
	pub fn sipp_aka(&self, scenario: &str, user: &str, k: &str, op: &str, amf: &str) -> bool {
		self.sipp_aka_as(scenario, (user, &format!("{user}@{REALM}")), k, op, amf)
	}

	/// [`Setup::sipp_aka`] for an IMPU user part and an IMPI that differ.
	pub fn sipp_aka_as(
		&self,
		scenario: &str,
		(user, impi): (&str, &str),
		k: &str,
		op: &str,
		amf: &str,
	) -> bool {
		use ims_bridge::auth::milenage::{opc, Milenage};
		let key: [u8; 16] = k.as_bytes().try_into().unwrap();
		let op16: [u8; 16] = op.as_bytes().try_into().unwrap();
		let milenage = Milenage::new(&key, &opc(&key, &op16));
		for _ in 0..3 {
			if self.sipp_as(scenario, (user, impi), &["-aka_K", k, "-aka_OP", op, "-aka_AMF", amf])
			{
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
	pub fn last_challenge_rand(&self, scenario: &str) -> Option<[u8; 16]> {
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
	pub fn show(&self, identity: &str) -> String {
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
	pub fn remove(&self, identity: &str) {
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
	pub fn pseudonym(&self, impu: &str) -> [u8; 32] {
		let text = self.show(impu);
		let line = text
			.lines()
			.find(|l| l.trim_start().starts_with(&format!("impu {impu} (")))
			.unwrap_or_else(|| panic!("no line for {impu} in:\n{text}"));
		let hex = line.split('(').nth(1).and_then(|r| r.split(')').next()).unwrap();
		hex::decode(hex).unwrap().try_into().unwrap()
	}

	pub fn metric(&self, name: &str) -> Option<f64> {
		metric(self.metrics_port, name)
	}
}

pub fn ascii_hex(text: &str) -> String {
	hex::encode(text.as_bytes())
}

pub async fn next_sequence(url: &str) -> u64 {
	let client = chain::connect(url).await.unwrap();
	let at = client.at_current_block().await.unwrap();
	let alice = subxt_signer::sr25519::dev::alice().public_key().into();
	at.runtime_apis().call(ims::runtime_apis().audit_api().next_sequence(alice)).await.unwrap()
}

/// Bars a public identity as Alice, the development realm's owner.
pub async fn bar(url: &str, impu: [u8; 32]) {
	let call = ims::transactions().identity().set_barring(subxt::utils::H256(impu), true);
	as_alice(url, call, "barring").await;
}

/// Signs `call` as Alice, the development realm's owner, and waits until it
/// is finalized and succeeded. The bridge signs with the same development
/// key, so a transaction may lose the race for a nonce: it is sent again.
pub async fn as_alice<Call: subxt::transactions::Payload>(url: &str, call: Call, what: &str) {
	as_signer(url, &subxt_signer::sr25519::dev::alice(), call, what).await
}

/// Signs `call` with `signer` and waits until it is finalized and
/// succeeded, sending it again (up to 10 times) if it fails.
pub async fn as_signer<Call: subxt::transactions::Payload>(
	url: &str,
	signer: &subxt_signer::sr25519::Keypair,
	call: Call,
	what: &str,
) {
	let client = chain::connect(url).await.unwrap();
	let mut last = String::new();
	for _ in 0..10 {
		let at = client.at_current_block().await.unwrap();
		let sent = at.transactions().sign_and_submit_then_watch_default(&call, signer).await;
		match sent {
			Ok(progress) => match progress.wait_for_finalized_success().await {
				Ok(_) => return,
				Err(e) => last = e.to_string(),
			},
			Err(e) => last = e.to_string(),
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	panic!("{what} failed: {last}");
}

/// `ims-node --dev` on a temporary base path (its realm has the service
/// profile 0 of the development preset), and the test set-up for it.
pub async fn dev_chain() -> (Node, Setup) {
	dev_chain_with(&["--dev"]).await
}

/// [`dev_chain`] with the node's command line given.
pub async fn dev_chain_with(args: &[&str]) -> (Node, Setup) {
	let node = Node::start(args);
	node.wait_for_rpc(Duration::from_secs(60));
	let setup = Setup::new(node.rpc_port);
	(node, setup)
}

/// The value of `name="value"` or `name=value` in a challenge.
pub fn challenge_param(header: &str, name: &str) -> Option<String> {
	let at = header.find(&format!("{name}="))? + name.len() + 1;
	let rest = &header[at..];
	Some(match rest.strip_prefix('"') {
		Some(quoted) => quoted.split('"').next()?.to_string(),
		None => rest.split([',', ' ', '\r']).next()?.to_string(),
	})
}

/// Polls `ready` every half second until it holds, for at most a minute.
pub async fn wait_for_async<F: std::future::Future<Output = bool>>(
	what: &str,
	mut ready: impl FnMut() -> F,
) {
	let deadline = std::time::Instant::now() + Duration::from_secs(60);
	while std::time::Instant::now() < deadline {
		if ready().await {
			return;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	panic!("timed out waiting for {what}");
}

/// The audit trail's records about `subject` in the development realm (0),
/// decoded, as `imsAudit_records` lists them (the first 1000).
pub async fn audit_entries(
	url: &str,
	subject: [u8; 32],
) -> Vec<ims_primitives::audit::Entry<[u8; 32]>> {
	use codec::Decode;
	let rpc = subxt_rpcs::RpcClient::from_insecure_url(url).await.unwrap();
	let subject = format!("0x{}", hex::encode(subject));
	let page: serde_json::Value = rpc
		.request("imsAudit_records", subxt_rpcs::rpc_params![0, subject, 0, 1000])
		.await
		.unwrap();
	let records = page["records"].as_array().cloned().unwrap_or_default();
	records
		.iter()
		.filter_map(|r| {
			let bytes = hex::decode(r["entry"].as_str()?.trim_start_matches("0x")).ok()?;
			ims_primitives::audit::Entry::<[u8; 32]>::decode(&mut &bytes[..]).ok()
		})
		.collect()
}
