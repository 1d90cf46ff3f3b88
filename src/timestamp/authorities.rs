//! The time-stamping authorities an organisation trusts: the certificates of `config set
//! tsa_certs FILE` (PEM, as `openssl ts -verify -CAfile` reads them, or one DER certificate),
//! and the check that a token's signer chains to one of them, holds the time-stamping key
//! purpose and was valid when the token says it was made.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cms::cert::x509::Certificate;
use der::Decode;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::error::Error;

/// The largest certificate file read: a bundle of a few dozen certificates.
const MAX_CERTS_BYTES: u64 = 1024 * 1024;

/// id-kp-timeStamping (1.3.6.1.5.5.7.3.8), as its DER content octets.
const TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// The trusted certificates, read and parsed once.
#[derive(Debug)]
pub(crate) struct Authorities {
    path: PathBuf,
    der: Vec<CertificateDer<'static>>,
    parsed: Vec<Certificate>,
}

impl Authorities {
    /// Reads `path`: PEM certificates (other PEM sections are ignored) or one DER certificate.
    pub(crate) fn load(path: &Path) -> Result<Authorities, Error> {
        let shown = path.display();
        let bytes = crate::files::read_small_file(path, MAX_CERTS_BYTES, "tsa_certs")?
            .ok_or_else(|| Error::input(format!("tsa_certs: {shown} does not exist")))?;
        let der: Vec<CertificateDer<'static>> = if bytes.first() == Some(&0x30) {
            vec![CertificateDer::from(bytes)]
        } else {
            CertificateDer::pem_slice_iter(&bytes)
                .enumerate()
                .map(|(n, c)| {
                    c.map_err(|e| {
                        Error::input(format!(
                            "tsa_certs: {shown}: certificate {} is not PEM: {e}",
                            n + 1
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        if der.is_empty() {
            return Err(Error::input(format!(
                "tsa_certs: {shown} holds no certificate (-----BEGIN CERTIFICATE-----)"
            )));
        }
        let parsed = der
            .iter()
            .enumerate()
            .map(|(n, c)| {
                let cert = Certificate::from_der(c).map_err(|e| {
                    Error::input(format!(
                        "tsa_certs: {shown}: certificate {} cannot be read: {e}",
                        n + 1
                    ))
                })?;
                webpki::anchor_from_trusted_cert(c).map_err(|e| {
                    Error::input(format!(
                        "tsa_certs: {shown}: certificate {} cannot be trusted as an authority: {e}",
                        n + 1
                    ))
                })?;
                Ok(cert)
            })
            .collect::<Result<_, Error>>()?;
        Ok(Authorities {
            path: path.to_path_buf(),
            der,
            parsed,
        })
    }

    pub(super) fn certificates(&self) -> &[Certificate] {
        &self.parsed
    }

    /// Whether `signer` chains (through `intermediates`, the token's other certificates) to a
    /// trusted certificate, for time-stamping, at `time`.
    pub(super) fn check_chain(
        &self,
        signer: &EndEntityCert<'_>,
        intermediates: &[CertificateDer<'_>],
        time: DateTime<Utc>,
    ) -> Result<(), String> {
        let anchors: Vec<_> = self
            .der
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
            .collect();
        let secs = u64::try_from(time.timestamp()).unwrap_or(0);
        signer
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchors,
                intermediates,
                UnixTime::since_unix_epoch(Duration::from_secs(secs)),
                KeyUsage::required(TIME_STAMPING),
                None,
                None,
            )
            .map(|_| ())
            .map_err(|e| self.why(&e))
    }

    fn why(&self, e: &webpki::Error) -> String {
        use webpki::Error as E;
        let file = self.path.display();
        match e {
            E::UnknownIssuer => format!(
                "the authority's certificate does not chain to a certificate in tsa_certs ({file}): an authority this store does not trust"
            ),
            E::CertExpired { .. } | E::CertNotValidYet { .. } => {
                "the authority's certificate was not valid at the time the token states".to_owned()
            }
            E::RequiredEkuNotFoundContext(_) => {
                "the authority's certificate is not one for time-stamping (extended key usage timeStamping)".to_owned()
            }
            other => format!("the authority's certificate chain does not hold: {other:?}"),
        }
    }
}
