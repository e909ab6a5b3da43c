//! REGISTER latency through real Kamailio, the bridge against a static
//! stand-in HSS (`scripts/bench.sh register`): a benchmark, ignored by
//! `cargo test`.

use crate::common::*;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use ims_bridge::diameter::codec::{Avp, Message};
use ims_bridge::diameter::dict::{avp, command, experimental};
use ims_bridge::diameter::peer::{
	answer_for, AllowedPeer, Application, Context, LocalIdentity, PeerInfo, PeerPolicy, PeerRole,
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

/// Serves [`StaticHss`] on the bridge's port until `stop` is cancelled.
async fn start_static_hss(
	setup: &Setup,
) -> (Arc<Context<StaticHss>>, CancellationToken, tokio::task::JoinHandle<()>) {
	let local = LocalIdentity {
		origin_host: "127.0.0.1".into(),
		origin_realm: REALM.into(),
		host_ip: "127.0.0.1".parse().unwrap(),
		product_name: "static-hss".into(),
	};
	let peer = |host: &str, role| AllowedPeer {
		origin_host: format!("{host}.{REALM}"),
		origin_realm: REALM.into(),
		addresses: vec!["127.0.0.1".parse().unwrap()],
		role,
		max_connections: 4,
		plain_tcp: false,
	};
	let scscf = PeerRole::SCscf { server_name: format!("sip:127.0.0.1:{}", setup.scscf_port) };
	let policy = PeerPolicy {
		requests_per_second: 1_000_000,
		burst: 1_000_000,
		max_message: 65536,
		watchdog: Duration::from_secs(120),
		..PeerPolicy::new(vec![peer("icscf", PeerRole::ICscf), peer("scscf", scscf)])
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
	let stop = CancellationToken::new();
	let server =
		tokio::spawn(ims_bridge::server::run(listener, ctx.clone(), 8, None, stop.clone()));
	(ctx, stop, server)
}

fn md5_hex(text: &str) -> String {
	use md5::{Digest, Md5};
	hex::encode(Md5::digest(text.as_bytes()))
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
		if status != 401 {
			return Err(format!("the first REGISTER got {status}"));
		}
		for cseq in 2..8 {
			send(cseq, &Self::authorization(flow, &text)?)?;
			(status, text) = self.response(flow, cseq)?;
			match status {
				200 => return Ok((started.elapsed(), cseq - 2)),
				401 => {},
				other => return Err(format!("the authorized REGISTER got {other}")),
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

/// Flows at least this long waited for a SIP retransmission between the
/// CSCFs (UDP's timer A starts at 500 ms): the S-CSCF did not answer the
/// first copy of a REGISTER, with no Cx request outstanding (both HSSes
/// answered every Cx request within milliseconds in a loopback capture,
/// `docs/benchmarks.md`).
const RETRANSMITTED: Duration = Duration::from_millis(400);

/// The mean latency of the flows that did not wait for a retransmission,
/// and how many did, in ms.
fn mean_without_retransmissions(latencies: &[Duration]) -> (f64, usize) {
	let kept: Vec<f64> =
		latencies.iter().filter(|l| **l < RETRANSMITTED).map(|l| l.as_secs_f64() * 1e3).collect();
	let mean = kept.iter().sum::<f64>() / kept.len().max(1) as f64;
	(mean, latencies.len() - kept.len())
}

/// The distinct errors a Kamailio logged, with how many times each, so a
/// run's failed flows explain themselves.
fn kamailio_errors(log: &str) -> Vec<(usize, String)> {
	let mut counts = std::collections::BTreeMap::<String, usize>::new();
	for line in log.lines().filter(|l| l.contains("ERROR")) {
		// Without the pid and timestamp prefix, up to the module's message.
		let message = line.split_once("ERROR").map_or(line, |(_, rest)| rest).trim();
		*counts.entry(message.chars().take(160).collect()).or_default() += 1;
	}
	let mut errors: Vec<(usize, String)> = counts.into_iter().map(|(m, n)| (n, m)).collect();
	errors.sort_by_key(|(count, _)| std::cmp::Reverse(*count));
	errors
}

/// What a Kamailio's shared memory pool holds, from its control socket
/// (`kamcmd core.shmmem`, in MiB): used, the most ever used, and free.
fn shared_memory(run_dir: &Path, name: &str) -> String {
	let socket = format!("unix:{}", run_dir.join(format!("{name}-ctl.sock")).display());
	let output =
		std::process::Command::new("kamcmd").args(["-s", &socket, "core.shmmem", "m"]).output();
	let text = output.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
	let field = |key: &str| {
		text.lines()
			.find(|l| l.trim_start().starts_with(key))
			.and_then(|l| l.split(':').nth(1))
			.map_or("?".to_string(), |v| v.trim().to_string())
	};
	format!(
		"used {} MiB, most used {} MiB, free {} MiB",
		field("used"),
		field("max_used"),
		field("free")
	)
}

/// The value at `p` (0 to 1) of sorted `values`, interpolated.
fn quantile(sorted: &[f64], p: f64) -> f64 {
	let Some(last) = sorted.len().checked_sub(1) else { return f64::NAN };
	let at = p * last as f64;
	let (low, high) = (at.floor() as usize, at.ceil() as usize);
	sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64)
}

/// The REGISTER latency benchmark (run by `scripts/bench.sh register`):
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
#[ignore = "a benchmark: scripts/bench.sh register"]
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
	let (node, setup) = dev_chain().await;
	let node_pid = node.proc.id();
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
		groups: [stand_in_icscf.id(), stand_in_scscf.id()],
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
			groups: [icscf.id(), scscf.id()],
			hss_pid: bridge.id(),
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
		for (name, dir) in
			[(label.as_str(), setup.dir.path()), ("static stand-in HSS", stand_in_setup.dir.path())]
		{
			println!(
				"register-bench: {name}: S-CSCF shared memory: {}; I-CSCF: {}",
				shared_memory(dir, "scscf"),
				shared_memory(dir, "icscf")
			);
		}
		let cx_sum = setup.metric("ims_bridge_cx_latency_seconds_sum").unwrap_or(0.0);
		let cx_count = setup.metric("ims_bridge_cx_latency_seconds_count").unwrap_or(0.0);
		icscf.terminate(Duration::from_secs(10));
		scscf.terminate(Duration::from_secs(10));
		assert!(bridge.terminate(Duration::from_secs(15)).is_some(), "the bridge stops on SIGTERM");
		report_pairs(label, tallies, pairs * block);
		for (name, log) in
			[(label.as_str(), scscf.log()), ("static stand-in HSS", stand_in_scscf.log())]
		{
			for (count, error) in kamailio_errors(&log).into_iter().take(5) {
				println!("register-bench: {name}: S-CSCF logged {count} x {error}");
			}
		}
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
	stop.cancel();
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
		let (trimmed, waited) = mean_without_retransmissions(&tally.latencies);
		println!(
			"register-bench: {name}: {waited} flows waited for a SIP retransmission between the \
			 CSCFs (>= {} ms); mean of the others {trimmed:.2} ms",
			RETRANSMITTED.as_millis()
		);
		figures.push((p50, mean, trimmed));
	}
	let mut ratios: Vec<f64> =
		bridge.block_means.iter().zip(&stand_in.block_means).map(|(b, s)| b / s).collect();
	ratios.sort_by(f64::total_cmp);
	println!(
		"register-bench: ratio {label} / static stand-in HSS: mean {:.3} ({:.3} without the \
		 retransmitted flows), p50 {:.3}; {} block pairs: median {:.3}, quartiles {:.3} to {:.3} \
		 (goal <= 1.10)",
		figures[0].1 / figures[1].1,
		figures[0].2 / figures[1].2,
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
