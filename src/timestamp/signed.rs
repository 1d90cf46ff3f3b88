//! The signature over a time-stamp token, checked as CMS (RFC 5652) and RFC 3161 require: one
//! signer, found by its issuer and serial number (or key identifier) among the token's
//! certificates and the trusted ones; the signed attributes naming the `TSTInfo` content and its
//! digest; the ESS signing-certificate attribute naming the signer's certificate by its hash (so
//! that a certificate swapped into the token is caught); and the signature over the DER `SET OF`
//! the signed attributes, by the certificate's key.

use chrono::{DateTime, Utc};
use cms::cert::CertificateChoices;
use cms::cert::x509::Certificate;
use cms::cert::x509::ext::pkix::SubjectKeyIdentifier;
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{Any, OctetString};
use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Sequence};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm};
use webpki::EndEntityCert;

use super::Authorities;

const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// `SigningCertificate` (RFC 2634), whose `ESSCertID` hashes the certificate with SHA-1.
#[derive(Debug, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

#[derive(Debug, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

/// `SigningCertificateV2` (RFC 5035): the hash algorithm is named, SHA-256 by default.
#[derive(Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

#[derive(Debug, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

/// The digests CMS names, by their object identifiers.
fn digest(oid: &ObjectIdentifier) -> Result<&'static ring::digest::Algorithm, String> {
    Ok(match oid.to_string().as_str() {
        "1.3.14.3.2.26" => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        "2.16.840.1.101.3.4.2.1" => &ring::digest::SHA256,
        "2.16.840.1.101.3.4.2.2" => &ring::digest::SHA384,
        "2.16.840.1.101.3.4.2.3" => &ring::digest::SHA512,
        other => {
            return Err(format!(
                "the token uses a digest this version does not know ({other})"
            ));
        }
    })
}

/// The signature algorithms a signer info may name with its digest, tried in turn (the key's
/// type and curve pick the one that applies).
fn algorithms(
    signature: &ObjectIdentifier,
    digest: &ObjectIdentifier,
) -> Result<&'static [&'static dyn SignatureVerificationAlgorithm], String> {
    use webpki::ring as alg;
    let family = match signature.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "rsa",
        "1.2.840.113549.1.1.11" => "rsa-sha256",
        "1.2.840.113549.1.1.12" => "rsa-sha384",
        "1.2.840.113549.1.1.13" => "rsa-sha512",
        "1.2.840.10045.4.3.2" => "ecdsa-sha256",
        "1.2.840.10045.4.3.3" => "ecdsa-sha384",
        "1.3.101.112" => "ed25519",
        other => {
            return Err(format!(
                "the token is signed with an algorithm this version does not check ({other})"
            ));
        }
    };
    let by_digest = match digest.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        _ => "",
    };
    type Algs = &'static [&'static dyn SignatureVerificationAlgorithm];
    static RSA_SHA256: [&dyn SignatureVerificationAlgorithm; 1] = [alg::RSA_PKCS1_2048_8192_SHA256];
    static RSA_SHA384: [&dyn SignatureVerificationAlgorithm; 1] = [alg::RSA_PKCS1_2048_8192_SHA384];
    static RSA_SHA512: [&dyn SignatureVerificationAlgorithm; 1] = [alg::RSA_PKCS1_2048_8192_SHA512];
    static ECDSA_SHA256: [&dyn SignatureVerificationAlgorithm; 2] =
        [alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256];
    static ECDSA_SHA384: [&dyn SignatureVerificationAlgorithm; 2] =
        [alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384];
    static ED25519: [&dyn SignatureVerificationAlgorithm; 1] = [alg::ED25519];
    let chosen: Algs = match (family, by_digest) {
        ("rsa", "sha256") | ("rsa-sha256", _) => &RSA_SHA256,
        ("rsa", "sha384") | ("rsa-sha384", _) => &RSA_SHA384,
        ("rsa", "sha512") | ("rsa-sha512", _) => &RSA_SHA512,
        ("ecdsa-sha256", _) => &ECDSA_SHA256,
        ("ecdsa-sha384", _) => &ECDSA_SHA384,
        ("ed25519", _) => &ED25519,
        _ => {
            return Err(
                "the token's signer uses a digest its signature algorithm does not take".to_owned(),
            );
        }
    };
    Ok(chosen)
}

/// Whether `cert` is the one the signer info names.
fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    let tbs = &cert.tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(named) => {
            tbs.issuer == named.issuer && tbs.serial_number == named.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(named) => tbs
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id == ID_SUBJECT_KEY_IDENTIFIER)
            .any(|e| {
                SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).is_ok_and(|k| &k == named)
            }),
    }
}

/// Who signed a token whose signature holds.
#[derive(Debug)]
pub(super) struct Signer {
    pub subject: String,
}

/// Checks the signature over the `TSTInfo` bytes `tst`; with `trusted`, also the signer's chain
/// at `time`.
pub(super) fn check(
    signed: &SignedData,
    tst: &[u8],
    trusted: Option<&Authorities>,
    time: DateTime<Utc>,
) -> Result<Signer, String> {
    let infos = signed.signer_infos.0.as_slice();
    let [info] = infos else {
        return Err(format!(
            "the token has {} signers, where RFC 3161 has one",
            infos.len()
        ));
    };
    let in_token: Vec<&Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let cert = in_token
        .iter()
        .copied()
        .chain(trusted.iter().flat_map(|t| t.certificates()))
        .find(|c| identifies(&info.sid, c))
        .ok_or("the certificate that signed the token is neither in the token nor in tsa_certs")?;
    let cert_der = cert
        .to_der()
        .map_err(|e| format!("the signer's certificate cannot be encoded: {e}"))?;
    let attrs = info
        .signed_attrs
        .as_ref()
        .ok_or("the token's signature covers no signed attributes")?;
    check_attributes(attrs, &info.digest_alg.oid, tst, &cert_der)?;
    let message = attrs
        .to_der()
        .map_err(|e| format!("the token's signed attributes cannot be encoded: {e}"))?;
    let cert_der = CertificateDer::from(cert_der);
    let ee = EndEntityCert::try_from(&cert_der)
        .map_err(|e| format!("the signer's certificate cannot be read: {e}"))?;
    let candidates = algorithms(&info.signature_algorithm.oid, &info.digest_alg.oid)?;
    if !candidates.iter().any(|alg| {
        ee.verify_signature(*alg, &message, info.signature.as_bytes())
            .is_ok()
    }) {
        return Err("the token's signature does not hold: it was not made by its certificate's key over what it carries".to_owned());
    }
    if let Some(trusted) = trusted {
        let others: Vec<CertificateDer<'static>> = in_token
            .iter()
            .filter(|c| !std::ptr::eq(**c, cert))
            .filter_map(|c| c.to_der().ok().map(CertificateDer::from))
            .collect();
        trusted.check_chain(&ee, &others, time)?;
    }
    Ok(Signer {
        subject: cert.tbs_certificate.subject.to_string(),
    })
}

/// The signed attributes RFC 3161 requires: the content type (a `TSTInfo`), the digest of the
/// `TSTInfo` bytes `tst`, and the signing certificate named by its hash.
fn check_attributes(
    attrs: &cms::signed_data::SignedAttributes,
    digest_alg: &ObjectIdentifier,
    tst: &[u8],
    cert_der: &[u8],
) -> Result<(), String> {
    let attr = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let content_type = attr(ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .ok_or("the token's signed attributes name no content type")?;
    if content_type != super::ID_CT_TST_INFO {
        return Err(
            "the token's signed attributes name another content than its TSTInfo".to_owned(),
        );
    }
    let content_digest = digest(digest_alg)?;
    let message_digest = attr(ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("the token's signed attributes carry no message digest")?;
    if message_digest.as_bytes() != ring::digest::digest(content_digest, tst).as_ref() {
        return Err(
            "the token's TSTInfo is not what its signature covers (message digest differs)"
                .to_owned(),
        );
    }
    check_signing_certificate(
        attr(ID_SIGNING_CERTIFICATE),
        attr(ID_SIGNING_CERTIFICATE_V2),
        cert_der,
    )
}

/// The ESS signing-certificate attribute (v1 with SHA-1, or v2) must name the signer's
/// certificate by its hash, as RFC 3161 requires.
fn check_signing_certificate(
    v1: Option<&Any>,
    v2: Option<&Any>,
    cert_der: &[u8],
) -> Result<(), String> {
    let (alg, hash): (&'static ring::digest::Algorithm, Vec<u8>) = if let Some(v2) = v2 {
        let named = v2.decode_as::<SigningCertificateV2>().map_err(|e| {
            format!("the token's signing-certificate attribute cannot be read: {e}")
        })?;
        let first = named
            .certs
            .first()
            .ok_or("the token's signing-certificate attribute names no certificate")?;
        let alg = match &first.hash_algorithm {
            Some(a) => digest(&a.oid)?,
            None => &ring::digest::SHA256,
        };
        (alg, first.cert_hash.as_bytes().to_vec())
    } else if let Some(v1) = v1 {
        let named = v1.decode_as::<SigningCertificate>().map_err(|e| {
            format!("the token's signing-certificate attribute cannot be read: {e}")
        })?;
        let first = named
            .certs
            .first()
            .ok_or("the token's signing-certificate attribute names no certificate")?;
        (
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            first.cert_hash.as_bytes().to_vec(),
        )
    } else {
        return Err("the token does not name its signing certificate (ESS signingCertificate), as RFC 3161 requires".to_owned());
    };
    if ring::digest::digest(alg, cert_der).as_ref() != hash.as_slice() {
        return Err("the token's signing-certificate attribute names another certificate than the one that signed it".to_owned());
    }
    Ok(())
}
