//! The problems a chain report can list, each with a plain explanation.
//!
//! In JSON a problem is an object with a `kind`, the explanation in
//! `message`, and the fields of its variant in camelCase. Deciding whether
//! a problem blocks adding an endpoint is left to the caller.

use std::fmt;

use crate::timefmt::rfc3339_from_unix;
use serde::{Deserialize, Serialize};

/// Something wrong with a server's certificate chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ProblemJson", try_from = "ProblemJson")]
pub enum Problem {
    /// A certificate's validity ended before now.
    Expired {
        /// Subject of the expired certificate.
        subject: String,
        /// End of its validity, in Unix seconds.
        not_after: i64,
    },
    /// A certificate's validity starts after now.
    NotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Start of its validity, in Unix seconds.
        not_before: i64,
    },
    /// The leaf certificate does not name the host that was dialed.
    WrongHost {
        /// The host that was dialed.
        host: String,
        /// The DNS names and IP addresses the leaf certificate names.
        names: Vec<String>,
    },
    /// The leaf certificate is self-signed and not among the trusted roots.
    SelfSigned,
    /// The chain does not lead to a trusted root.
    UntrustedIssuer {
        /// The last issuer the chain names.
        issuer: String,
    },
    /// Any other verification or handshake failure, as rustls worded it.
    Other(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expired { subject, not_after } => write!(
                f,
                "the certificate {subject:?} expired at {}",
                rfc3339_from_unix(*not_after)
            ),
            Self::NotYetValid {
                subject,
                not_before,
            } => write!(
                f,
                "the certificate {subject:?} is not valid until {} \
                 (check the clocks of the server and of this machine)",
                rfc3339_from_unix(*not_before)
            ),
            Self::WrongHost { host, names } if names.is_empty() => write!(
                f,
                "the certificate names no DNS name or IP address, so it is not valid for {host:?}"
            ),
            Self::WrongHost { host, names } => write!(
                f,
                "the certificate is valid for {} but not for {host:?}",
                names.join(", ")
            ),
            Self::SelfSigned => f.write_str(
                "the certificate is self-signed and not among the trusted roots \
                 (accept its fingerprint to pin it)",
            ),
            Self::UntrustedIssuer { issuer } => write!(
                f,
                "the issuer {issuer:?} is not among the trusted roots \
                 (add that CA to the roots or accept the fingerprint)"
            ),
            Self::Other(message) => f.write_str(message),
        }
    }
}

/// Name of each [`Problem`] variant in JSON.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum ProblemKind {
    Expired,
    NotYetValid,
    WrongHost,
    SelfSigned,
    UntrustedIssuer,
    Other,
}

/// The JSON form of a [`Problem`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProblemJson {
    kind: ProblemKind,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
}

impl From<Problem> for ProblemJson {
    fn from(problem: Problem) -> Self {
        let mut json = ProblemJson {
            kind: ProblemKind::Other,
            message: problem.to_string(),
            subject: None,
            not_before: None,
            not_after: None,
            host: None,
            names: None,
            issuer: None,
        };
        match problem {
            Problem::Expired { subject, not_after } => {
                json.kind = ProblemKind::Expired;
                json.subject = Some(subject);
                json.not_after = Some(not_after);
            }
            Problem::NotYetValid {
                subject,
                not_before,
            } => {
                json.kind = ProblemKind::NotYetValid;
                json.subject = Some(subject);
                json.not_before = Some(not_before);
            }
            Problem::WrongHost { host, names } => {
                json.kind = ProblemKind::WrongHost;
                json.host = Some(host);
                json.names = Some(names);
            }
            Problem::SelfSigned => json.kind = ProblemKind::SelfSigned,
            Problem::UntrustedIssuer { issuer } => {
                json.kind = ProblemKind::UntrustedIssuer;
                json.issuer = Some(issuer);
            }
            Problem::Other(_) => {}
        }
        json
    }
}

impl TryFrom<ProblemJson> for Problem {
    type Error = String;

    fn try_from(json: ProblemJson) -> Result<Self, Self::Error> {
        let missing = |field: &str| format!("missing field `{field}` for problem {:?}", json.kind);
        Ok(match json.kind {
            ProblemKind::Expired => Problem::Expired {
                subject: json.subject.clone().ok_or_else(|| missing("subject"))?,
                not_after: json.not_after.ok_or_else(|| missing("notAfter"))?,
            },
            ProblemKind::NotYetValid => Problem::NotYetValid {
                subject: json.subject.clone().ok_or_else(|| missing("subject"))?,
                not_before: json.not_before.ok_or_else(|| missing("notBefore"))?,
            },
            ProblemKind::WrongHost => Problem::WrongHost {
                host: json.host.clone().ok_or_else(|| missing("host"))?,
                names: json.names.clone().unwrap_or_default(),
            },
            ProblemKind::SelfSigned => Problem::SelfSigned,
            ProblemKind::UntrustedIssuer => Problem::UntrustedIssuer {
                issuer: json.issuer.clone().ok_or_else(|| missing("issuer"))?,
            },
            ProblemKind::Other => Problem::Other(json.message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_problems() -> Vec<Problem> {
        vec![
            Problem::Expired {
                subject: "CN=a".to_owned(),
                not_after: 1_000,
            },
            Problem::NotYetValid {
                subject: "CN=a".to_owned(),
                not_before: 2_000,
            },
            Problem::WrongHost {
                host: "b.example".to_owned(),
                names: vec!["a.example".to_owned()],
            },
            Problem::SelfSigned,
            Problem::UntrustedIssuer {
                issuer: "CN=ca".to_owned(),
            },
            Problem::Other("handshake failed".to_owned()),
        ]
    }

    /// Every problem survives a JSON round trip.
    #[test]
    fn json_round_trip() {
        for problem in all_problems() {
            let json = serde_json::to_string(&problem).unwrap();
            let back: Problem = serde_json::from_str(&json).unwrap();
            assert_eq!(back, problem, "{json}");
        }
    }

    /// The JSON form carries the kind and the display text.
    #[test]
    fn json_has_kind_and_message() {
        let value = serde_json::to_value(Problem::SelfSigned).unwrap();
        assert_eq!(value["kind"], "selfSigned");
        assert_eq!(value["message"], Problem::SelfSigned.to_string());
    }

    /// Each problem has its own explanation.
    #[test]
    fn explanations_are_distinct() {
        let texts: std::collections::HashSet<String> =
            all_problems().iter().map(Problem::to_string).collect();
        assert_eq!(texts.len(), all_problems().len());
    }

    /// Expiry is shown as an RFC 3339 date.
    #[test]
    fn expired_shows_date() {
        let problem = Problem::Expired {
            subject: "CN=a".to_owned(),
            not_after: 0,
        };
        assert!(
            problem.to_string().contains("1970-01-01T00:00:00Z"),
            "{problem}"
        );
    }
}
