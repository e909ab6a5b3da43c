//! Debian's MariaDB server for a test: a data directory of its own made by
//! `mariadb-install-db`, a socket in it and a free loopback port, stopped
//! with the test. Statements are run with the `mariadb` client over the
//! socket as the server's root; the importer under test logs in over TCP
//! as a user the test creates.

use crate::{free_tcp_port, wait_for, Proc};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A running MariaDB server.
pub struct MariaDb {
	/// The TCP port it listens on (127.0.0.1).
	pub port: u16,
	socket: PathBuf,
	_process: Proc,
	_dir: tempfile::TempDir,
}

/// Whether this process runs as root, which `mariadbd` must be told.
fn root() -> bool {
	let id = Command::new("id").arg("-u").output().map(|o| o.stdout).unwrap_or_default();
	String::from_utf8_lossy(&id).trim() == "0"
}

impl MariaDb {
	/// Starts a server with an empty data directory; waits until its
	/// socket answers.
	pub fn start() -> MariaDb {
		let dir = tempfile::tempdir().unwrap();
		let data = dir.path().join("data");
		let user = if root() { "root".to_string() } else { whoami() };
		let installed = Command::new("mariadb-install-db")
			.args(["--no-defaults", "--auth-root-authentication-method=normal", "--skip-test-db"])
			.arg(format!("--datadir={}", data.display()))
			.arg(format!("--user={user}"))
			.output()
			.unwrap_or_else(|e| {
				panic!("mariadb-install-db: {e} (scripts/setup.sh installs mariadb-server)")
			});
		assert!(
			installed.status.success(),
			"mariadb-install-db failed: {}",
			String::from_utf8_lossy(&installed.stderr)
		);
		let socket = dir.path().join("mariadb.sock");
		let port = free_tcp_port();
		let process = Proc::spawn(
			"mariadbd",
			Command::new("mariadbd")
				.arg("--no-defaults")
				.arg(format!("--datadir={}", data.display()))
				.arg(format!("--socket={}", socket.display()))
				.arg(format!("--port={port}"))
				.arg(format!("--user={user}"))
				.args([
					"--bind-address=127.0.0.1",
					"--skip-log-bin",
					"--innodb-buffer-pool-size=128M",
				])
				.arg(format!("--pid-file={}", dir.path().join("mariadb.pid").display())),
		);
		let server = MariaDb { port, socket, _process: process, _dir: dir };
		wait_for("MariaDB's socket", Duration::from_secs(60), || {
			server.try_sql("SELECT 1").is_ok()
		});
		server
	}

	/// Runs `statements` as root; panics with the client's error.
	pub fn sql(&self, statements: &str) {
		if let Err(e) = self.try_sql(statements) {
			panic!("mariadb: {e}");
		}
	}

	fn try_sql(&self, statements: &str) -> Result<(), String> {
		let mut client = Command::new("mariadb")
			.arg("--no-defaults")
			.arg(format!("--socket={}", self.socket.display()))
			.args(["--user=root", "--batch"])
			.stdin(Stdio::piped())
			.stdout(Stdio::null())
			.stderr(Stdio::piped())
			.spawn()
			.map_err(|e| e.to_string())?;
		let mut input = client.stdin.take().ok_or("no stdin")?;
		input.write_all(statements.as_bytes()).map_err(|e| e.to_string())?;
		drop(input);
		let output = client.wait_with_output().map_err(|e| e.to_string())?;
		if output.status.success() {
			Ok(())
		} else {
			Err(String::from_utf8_lossy(&output.stderr).into_owned())
		}
	}

	/// A database `name` and a user who may read it, with its URL
	/// (`mysql://user:password@127.0.0.1:port/name`).
	pub fn database(&self, name: &str, (user, password): (&str, &str)) -> String {
		self.sql(&format!(
			"CREATE DATABASE `{name}` DEFAULT CHARACTER SET utf8;\n\
			 CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}';\n\
			 GRANT SELECT ON `{name}`.* TO '{user}'@'127.0.0.1';"
		));
		format!("mysql://{user}:{password}@127.0.0.1:{}/{name}", self.port)
	}
}

fn whoami() -> String {
	let name = Command::new("id").arg("-un").output().map(|o| o.stdout).unwrap_or_default();
	String::from_utf8_lossy(&name).trim().to_string()
}
