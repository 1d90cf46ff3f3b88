//! How a connection to a PostgreSQL store is protected: `sslmode` as libpq users know it,
//! implemented with rustls (no system TLS library needed to build).
//!
//! A record of protected health information does not cross a network in clear: for a host that
//! is not this machine (not a Unix socket, not loopback) the default is `verify-full` (the
//! certificate chains to a trusted root and names the host), and `disable`, `allow` and
//! `prefer` are refused. `verify-ca` checks the chain but not the name; `require` encrypts and,
//! as in libpq, verifies the chain only when a root certificate is given (`sslrootcert`, or
//! `~/.postgresql/root.crt`). Roots come from `sslrootcert` (a PEM file, or `system`), else
//! `~/.postgresql/root.crt` when it exists, else the system's store.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::Error;

/// The protection a connection gets.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// No TLS: a Unix socket, or `sslmode=disable` to this machine.
    Plain,
    /// TLS if the server offers it, unverified: `allow`/`prefer` to this machine only.
    Prefer,
    /// TLS; verified against `roots` when there are any (libpq's `require`).
    Require(Option<Roots>),
    /// TLS, the chain verified, the name not.
    VerifyCa(Roots),
    /// TLS, the chain and the host name verified.
    VerifyFull(Roots),
}

/// Where trusted roots come from.
#[derive(Debug, Clone)]
pub(crate) enum Roots {
    File(PathBuf),
    System,
}

impl Mode {
    /// The mode for `sslmode` (libpq's names) to a host; `unix` and `local` say whether the host
    /// is a Unix socket or loopback.
    pub(crate) fn choose(
        sslmode: Option<&str>,
        root_cert: Option<PathBuf>,
        unix: bool,
        local: bool,
        host: &str,
    ) -> Result<Mode, Error> {
        let explicit_roots = root_cert.map(|p| {
            if p.as_os_str() == "system" {
                Roots::System
            } else {
                Roots::File(p)
            }
        });
        let default_file = etcetera::home_dir()
            .ok()
            .map(|h| h.join(".postgresql").join("root.crt"))
            .filter(|p| p.is_file())
            .map(Roots::File);
        let roots = || {
            explicit_roots
                .clone()
                .or_else(|| default_file.clone())
                .unwrap_or(Roots::System)
        };
        if unix {
            // A Unix socket never carries TLS; the operating system's permissions guard it.
            return Ok(Mode::Plain);
        }
        let clear = |mode: &str| {
            Error::input(format!(
                "sslmode={mode} would let the record cross the network in clear to {host}; use sslmode=verify-full (the default) or a Unix socket"
            ))
        };
        match sslmode {
            None | Some("verify-full") => Ok(Mode::VerifyFull(roots())),
            Some("verify-ca") => Ok(Mode::VerifyCa(roots())),
            Some("require") => Ok(Mode::Require(
                explicit_roots.clone().or_else(|| default_file.clone()),
            )),
            Some("disable") if local => Ok(Mode::Plain),
            Some(m @ ("allow" | "prefer")) if local => {
                let _ = m;
                Ok(Mode::Prefer)
            }
            Some(m @ ("disable" | "allow" | "prefer")) => Err(clear(m)),
            Some(other) => Err(Error::input(format!(
                "sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            ))),
        }
    }

    /// What the client library is told; the verification itself is ours.
    pub(crate) fn ssl_mode(&self) -> postgres::config::SslMode {
        match self {
            Mode::Plain => postgres::config::SslMode::Disable,
            Mode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        }
    }

    /// Connects with this protection.
    pub(crate) fn connect(
        &self,
        config: &postgres::Config,
    ) -> Result<postgres::Client, ConnectError> {
        let verifier: Arc<dyn ServerCertVerifier> = match self {
            Mode::Plain => return Ok(config.connect(postgres::NoTls)?),
            Mode::Prefer | Mode::Require(None) => Arc::new(Unverified(provider())),
            Mode::Require(Some(roots)) | Mode::VerifyCa(roots) => {
                Arc::new(ChainOnly(webpki(roots)?))
            }
            Mode::VerifyFull(roots) => webpki(roots)?,
        };
        if matches!(self, Mode::Require(None)) {
            eprintln!(
                "breach: warning: sslmode=require encrypts but does not verify the server's certificate; use sslmode=verify-full"
            );
        }
        let tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| ConnectError::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))?)
    }
}

/// Why a connection could not be made.
#[derive(Debug)]
pub(crate) enum ConnectError {
    Postgres(postgres::Error),
    Tls(String),
}

impl From<postgres::Error> for ConnectError {
    fn from(e: postgres::Error) -> Self {
        ConnectError::Postgres(e)
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Postgres(e) => f.write_str(&super::one_line(e)),
            ConnectError::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The standard verifier over the chosen roots: chain and host name.
fn webpki(roots: &Roots) -> Result<Arc<WebPkiServerVerifier>, ConnectError> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ConnectError::Tls(format!("sslrootcert {}: {e}", path.display())))?;
            for cert in certs {
                let cert = cert.map_err(|e| {
                    ConnectError::Tls(format!("sslrootcert {}: {e}", path.display()))
                })?;
                store.add(cert).map_err(|e| {
                    ConnectError::Tls(format!("sslrootcert {}: {e}", path.display()))
                })?;
            }
        }
        Roots::System => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = store.add(cert);
            }
        }
    }
    if store.is_empty() {
        return Err(ConnectError::Tls(
            "no trusted root certificates to verify the server with (give sslrootcert=FILE)"
                .to_owned(),
        ));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
        .build()
        .map_err(|e| ConnectError::Tls(e.to_string()))
}

/// `verify-ca`: the chain must verify; the name in the certificate need not be the host's.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `require` without roots, or `prefer` to this machine: encrypted, the certificate taken as
/// it comes (the handshake's signatures are still checked).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
