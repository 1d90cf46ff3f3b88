//! When the record existed, vouched for by someone outside the organisation: RFC 3161
//! time-stamping. A request carries the SHA-256 imprint of an entry's hash (the head when it was
//! made), a nonce and a request for the authority's certificate; the authority's response is a
//! CMS `SignedData` over a `TSTInfo` naming the imprint and the time. Reading a response checks
//! what `openssl ts -verify` checks: the status, the imprint and the nonce, the signed
//! attributes (content type, message digest, the signing certificate's hash), the signature, and
//! the signer's certificate chain to the authorities the organisation trusts ([`authorities`]),
//! with the time-stamping key purpose, at the time the token states. The ASN.1 types come from
//! RustCrypto's `x509-tsp` and `cms`; certificate paths and signatures from `rustls-webpki`.

pub(crate) mod authorities;
mod signed;

use chrono::{DateTime, NaiveDateTime, Utc};
use der::asn1::{Any, Int, OctetString};
use der::oid::ObjectIdentifier;
use der::{Decode, Encode, Sequence, Tag, Tagged};
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

pub(crate) use authorities::Authorities;

use crate::error::Error;

/// The largest response read: a token with a certificate chain is a few KiB.
pub(crate) const MAX_RESPONSE_BYTES: u64 = 256 * 1024;

const ID_SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// A request to send to an authority, with the nonce that its response must carry.
#[derive(Debug)]
pub(crate) struct Query {
    pub der: Vec<u8>,
    pub nonce: Vec<u8>,
}

/// A request (RFC 3161 `TimeStampReq`) for the SHA-256 imprint `imprint`, with a fresh 64-bit
/// nonce and the authority's certificate asked for (so the token can be checked on its own).
pub(crate) fn request(imprint: &[u8; 32]) -> Result<Query, Error> {
    let mut nonce = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
        .map_err(|_| Error::internal("cannot draw a nonce", "the system's random source failed"))?;
    // Positive and minimally encoded: the top bit clear, the first byte never zero.
    nonce[0] = (nonce[0] & 0x7f) | 0x01;
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: cms::cert::x509::spki::AlgorithmIdentifier {
                oid: ID_SHA_256,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(imprint.to_vec())
                .map_err(|e| Error::internal("cannot encode the imprint", e))?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce).map_err(|e| Error::internal("cannot encode the nonce", e))?),
        cert_req: true,
        extensions: None,
    };
    let der = req
        .to_der()
        .map_err(|e| Error::internal("cannot encode the request", e))?;
    Ok(Query {
        der,
        nonce: nonce.to_vec(),
    })
}

/// What a request asked for: the SHA-256 imprint and the nonce.
#[derive(Debug)]
pub(crate) struct Asked {
    pub imprint: Vec<u8>,
    pub nonce: Option<Vec<u8>>,
}

/// Reads a request file (`.tsq`), as `timestamp add --request` is given one.
pub(crate) fn read_request(der: &[u8]) -> Result<Asked, String> {
    let req = TimeStampReq::from_der(der)
        .map_err(|e| format!("not a time-stamp request (RFC 3161 TimeStampReq): {e}"))?;
    if req.message_imprint.hash_algorithm.oid != ID_SHA_256 {
        return Err("its imprint is not a SHA-256 digest".to_owned());
    }
    Ok(Asked {
        imprint: req.message_imprint.hashed_message.as_bytes().to_vec(),
        nonce: req.nonce.map(|n| n.as_bytes().to_vec()),
    })
}

/// What a token vouches for, once its signature (and, when authorities are given, its chain)
/// holds.
#[derive(Debug, Clone)]
pub(crate) struct Vouched {
    /// The SHA-256 imprint the authority signed.
    pub imprint: Vec<u8>,
    pub nonce: Option<Vec<u8>>,
    /// When the authority says the imprint existed.
    pub time: DateTime<Utc>,
    /// The signer's certificate subject, as RFC 4514 writes it.
    pub tsa: String,
    /// The token's serial number, in hexadecimal.
    pub serial: String,
    /// The authority's policy under which it was issued.
    pub policy: String,
}

/// `TSTInfo` as RFC 3161 defines it, with the time read as given: `der`'s `GeneralizedTime`
/// takes no fraction of a second, which many authorities write (`20261204091500.25Z`).
#[derive(Debug, Sequence)]
struct TstInfo {
    version: TspVersion,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<Any>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Any>,
}

/// Reads an authority's response (`.tsr`) and checks the token it holds: granted, a
/// `SignedData` over a `TSTInfo` with a SHA-256 imprint, its signed attributes and signature,
/// and, with `trusted`, the signer's chain to one of them with the time-stamping purpose at the
/// token's time. The error says what is wrong, in a line.
pub(crate) fn read_response(der: &[u8], trusted: Option<&Authorities>) -> Result<Vouched, String> {
    let resp = TimeStampResp::from_der(der)
        .map_err(|e| format!("not a time-stamp response (RFC 3161 TimeStampResp): {e}"))?;
    // PKIStatus: 0 granted, 1 granted with modifications; anything else is a refusal.
    match resp.status.status as u8 {
        0 | 1 => {}
        _ => {
            let other = resp.status.status;
            let said: Vec<String> = resp
                .status
                .status_string
                .iter()
                .flatten()
                .map(|s| crate::text::sanitize(s.as_str()).into_owned())
                .collect();
            return Err(format!(
                "the authority did not grant a time stamp (status {other:?}{})",
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {}", said.join("; "))
                }
            ));
        }
    }
    let token = resp
        .time_stamp_token
        .ok_or("the response is granted but holds no token")?;
    if token.content_type != ID_SIGNED_DATA {
        return Err(format!(
            "the token is not CMS SignedData (content type {})",
            token.content_type
        ));
    }
    let signed_data = token
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| format!("the token's SignedData cannot be read: {e}"))?;
    let content = &signed_data.encap_content_info;
    if content.econtent_type != ID_CT_TST_INFO {
        return Err(format!(
            "the token signs {} rather than a TSTInfo",
            content.econtent_type
        ));
    }
    let econtent = content
        .econtent
        .as_ref()
        .filter(|a| a.tag() == Tag::OctetString)
        .ok_or("the token holds no TSTInfo")?;
    let tst_bytes = econtent.value();
    let info = TstInfo::from_der(tst_bytes)
        .map_err(|e| format!("the token's TSTInfo cannot be read: {e}"))?;
    if info.message_imprint.hash_algorithm.oid != ID_SHA_256 {
        return Err(format!(
            "the token's imprint is not a SHA-256 digest ({})",
            info.message_imprint.hash_algorithm.oid
        ));
    }
    let time = generalized_time(&info.gen_time)?;
    let signer = signed::check(&signed_data, tst_bytes, trusted, time)?;
    Ok(Vouched {
        imprint: info.message_imprint.hashed_message.as_bytes().to_vec(),
        nonce: info.nonce.map(|n| n.as_bytes().to_vec()),
        time,
        tsa: signer.subject,
        serial: hex::encode(info.serial_number.as_bytes()),
        policy: info.policy.to_string(),
    })
}

/// A `GeneralizedTime` in UTC (`YYYYMMDDHHMMSS[.fff]Z`, as RFC 3161 requires).
fn generalized_time(any: &Any) -> Result<DateTime<Utc>, String> {
    let bad = || "the token's time is not a GeneralizedTime in UTC".to_owned();
    if any.tag() != Tag::GeneralizedTime {
        return Err(bad());
    }
    let text = std::str::from_utf8(any.value()).map_err(|_| bad())?;
    let digits = text.strip_suffix('Z').ok_or_else(bad)?;
    if digits.len() < 14 || digits.len() > 24 || !digits[..14].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carries_the_imprint_a_positive_nonce_and_asks_for_the_certificate() {
        let imprint = [7u8; 32];
        let q = request(&imprint).unwrap();
        let asked = read_request(&q.der).unwrap();
        assert_eq!(asked.imprint, imprint);
        assert_eq!(asked.nonce.as_deref(), Some(q.nonce.as_slice()));
        assert!(q.nonce[0] & 0x80 == 0 && q.nonce[0] != 0);
        let req = TimeStampReq::from_der(&q.der).unwrap();
        assert!(req.cert_req);
        assert_ne!(
            request(&imprint).unwrap().nonce,
            q.nonce,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn times_with_and_without_fractions_are_read_and_others_refused() {
        let time = |s: &str| {
            let any = Any::new(Tag::GeneralizedTime, s.as_bytes()).unwrap();
            generalized_time(&any).map(|t| t.to_rfc3339())
        };
        assert_eq!(
            time("20261204091500Z").unwrap(),
            "2026-12-04T09:15:00+00:00"
        );
        assert_eq!(
            time("20261204091500.25Z").unwrap(),
            "2026-12-04T09:15:00.250+00:00"
        );
        assert!(time("20261204091500+0100").is_err());
        assert!(time("2026120409Z").is_err());
        assert!(time("20261399091500Z").is_err());
    }

    #[test]
    fn what_is_not_a_response_is_refused_in_a_line() {
        for bytes in [
            &b""[..],
            b"\x30\x03\x02\x01",
            b"not der at all",
            &[0x30, 0x80, 0, 0],
        ] {
            let e = read_response(bytes, None).unwrap_err();
            assert!(e.starts_with("not a time-stamp response"), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}
