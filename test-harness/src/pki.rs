//! A throw-away public-key infrastructure for TLS tests: a CA, and
//! certificates it signs for DNS names, written as PEM files (keys mode
//! 0600) in a directory the test owns. The stunnel and mutual-TLS tests
//! of the bridge use it, as an operator's CA would be used.

use std::path::{Path, PathBuf};

/// A CA and the directory its files go to.
pub struct Pki {
	dir: PathBuf,
	ca: rcgen::Certificate,
	/// The CA's certificate, PEM.
	pub ca_pem: PathBuf,
}

/// A certificate and its key, as files.
#[derive(Clone, Debug)]
pub struct Issued {
	/// The certificate, PEM.
	pub cert: PathBuf,
	/// Its private key, PEM, mode 0600.
	pub key: PathBuf,
}

impl Pki {
	/// A new CA named `name`, its certificate written to `dir/<name>.pem`.
	pub fn new(dir: &Path, name: &str) -> Pki {
		let mut params = rcgen::CertificateParams::new(Vec::new());
		params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
		params.distinguished_name.push(rcgen::DnType::CommonName, name);
		let ca = rcgen::Certificate::from_params(params).unwrap();
		let ca_pem = dir.join(format!("{name}.pem"));
		std::fs::write(&ca_pem, ca.serialize_pem().unwrap()).unwrap();
		Pki { dir: dir.to_path_buf(), ca, ca_pem }
	}

	/// A certificate for the DNS name `name`, signed by this CA, written to
	/// `dir/<name>.pem` and `dir/<name>.key`.
	pub fn issue(&self, name: &str) -> Issued {
		let mut params = rcgen::CertificateParams::new(vec![name.to_string()]);
		params.distinguished_name.push(rcgen::DnType::CommonName, name);
		let leaf = rcgen::Certificate::from_params(params).unwrap();
		let cert = self.dir.join(format!("{name}.pem"));
		let key = self.dir.join(format!("{name}.key"));
		std::fs::write(&cert, leaf.serialize_pem_with_signer(&self.ca).unwrap()).unwrap();
		std::fs::write(&key, leaf.serialize_private_key_pem()).unwrap();
		owner_only(&key);
		Issued { cert, key }
	}
}

/// Makes `path` readable by its owner only, as the bridge demands of keys.
pub fn owner_only(path: &Path) {
	use std::os::unix::fs::PermissionsExt;
	std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}
