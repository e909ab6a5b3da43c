//! `ims-node` as the tests start it.

use crate::{free_tcp_port, wait_for, Proc};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// The `ims-node` binary: `$IMS_NODE`, else the one beside the running
/// test's own directory (`target/release/deps/<test>` ->
/// `target/release/ims-node`), which the workspace's one build makes.
pub fn node_binary() -> PathBuf {
	if let Some(path) = std::env::var_os("IMS_NODE") {
		return PathBuf::from(path);
	}
	let exe = std::env::current_exe().expect("the test knows its own path");
	let dir = exe.parent().and_then(Path::parent).expect("the test runs from target/<profile>/");
	dir.join("ims-node")
}

/// A running `ims-node` on a temporary base path and free loopback ports
/// (p2p, JSON-RPC, Prometheus), killed on drop; its log is printed when the
/// test fails.
pub struct Node {
	/// The process.
	pub proc: Proc,
	/// JSON-RPC (HTTP and WebSocket) port on 127.0.0.1.
	pub rpc_port: u16,
	/// Prometheus port on 127.0.0.1.
	pub prometheus_port: u16,
	/// Peer-to-peer port on 127.0.0.1.
	pub p2p_port: u16,
	base: tempfile::TempDir,
}

impl Node {
	/// Starts `binary` with `args` plus the base path and ports.
	pub fn start_binary(binary: &Path, args: &[&str]) -> Node {
		let base = tempfile::tempdir().expect("a temporary base path");
		let (rpc_port, prometheus_port, p2p_port) =
			(free_tcp_port(), free_tcp_port(), free_tcp_port());
		let proc = Proc::spawn(
			"ims-node",
			Command::new(binary)
				.args(args)
				.arg("--base-path")
				.arg(base.path())
				.args(["--rpc-port", &rpc_port.to_string()])
				.args(["--prometheus-port", &prometheus_port.to_string()])
				.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
				.args(["--no-telemetry", "--no-mdns"])
				// Validators of non-development chains refuse to invent a
				// network key; these throwaway nodes may.
				.arg("--unsafe-force-node-key-generation"),
		);
		Node { proc, rpc_port, prometheus_port, p2p_port, base }
	}

	/// Starts the workspace's `ims-node` ([`node_binary`]) with `args`.
	pub fn start(args: &[&str]) -> Node {
		Node::start_binary(&node_binary(), args)
	}

	/// Its WebSocket JSON-RPC address.
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// Its base path.
	pub fn base_path(&self) -> &Path {
		self.base.path()
	}

	/// Waits until its JSON-RPC port accepts connections.
	pub fn wait_for_rpc(&self, timeout: Duration) {
		let port = self.rpc_port;
		wait_for("ims-node's RPC", timeout, || TcpStream::connect(("127.0.0.1", port)).is_ok());
	}

	/// Everything it logged so far.
	pub fn log(&self) -> String {
		self.proc.log()
	}

	/// SIGTERM, then its exit status once it stopped within `timeout`.
	pub fn stop(mut self, timeout: Duration) -> Option<ExitStatus> {
		self.proc.terminate(timeout)
	}
}
