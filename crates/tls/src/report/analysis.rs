//! Judges a recorded chain with the real WebPKI checks and turns the
//! outcome into a [`ChainReport`].
//!
//! Trust and host name are checked separately, so a report can list both
//! "untrusted" and "wrong host". When the chain fails only on dates, it is
//! checked again at a time inside every certificate's validity, so an
//! expired certificate from an unknown issuer also reports that issuer.

use std::time::{Duration, SystemTime};

use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::cert_info::{CertInfo, describe};
use super::{ChainReport, Problem};
use crate::fingerprint::Fingerprint;

/// Inputs to the analysis besides the chain itself.
pub(super) struct Context<'a> {
    pub(super) host: &'a str,
    pub(super) server_name: &'a ServerName<'static>,
    pub(super) roots: &'a RootCertStore,
    pub(super) algorithms: &'a WebPkiSupportedAlgorithms,
    pub(super) now: SystemTime,
}

/// Builds the report for a chain, leaf first.
pub(super) fn analyse(context: &Context<'_>, chain: &[CertificateDer<'static>]) -> ChainReport {
    let mut problems = Vec::new();
    let certificates = describe_all(chain, &mut problems);
    let leaf_der = chain.first().map(|cert| cert.as_ref()).unwrap_or_default();
    let mut report = ChainReport {
        certificates,
        trusted: false,
        host_matches: false,
        problems: Vec::new(),
        leaf_fingerprint: Fingerprint::of(leaf_der),
    };
    let Some((leaf, intermediates)) = chain.split_first() else {
        problems.push(Problem::Other("the server sent no certificate".to_owned()));
        report.problems = problems;
        return report;
    };
    match ParsedCertificate::try_from(leaf) {
        Ok(parsed) => {
            report.trusted = check_trust(context, &parsed, intermediates, &report, &mut problems);
            report.host_matches = check_host(context, &parsed, &report, &mut problems);
        }
        Err(error) => problems.push(Problem::Other(format!(
            "the leaf certificate could not be parsed: {error}"
        ))),
    }
    report.problems = problems;
    report
}

fn describe_all(chain: &[CertificateDer<'static>], problems: &mut Vec<Problem>) -> Vec<CertInfo> {
    let mut certificates = Vec::with_capacity(chain.len());
    for (index, der) in chain.iter().enumerate() {
        match describe(der) {
            Ok(info) => certificates.push(info),
            Err(error) => problems.push(Problem::Other(format!(
                "certificate {} of the chain could not be parsed: {error}",
                index + 1
            ))),
        }
    }
    certificates
}

/// Checks the chain against the roots and records why it is not trusted.
fn check_trust(
    context: &Context<'_>,
    leaf: &ParsedCertificate<'_>,
    intermediates: &[CertificateDer<'static>],
    report: &ChainReport,
    problems: &mut Vec<Problem>,
) -> bool {
    let verify_at = |time: SystemTime| {
        verify_server_cert_signed_by_trust_anchor(
            leaf,
            context.roots,
            intermediates,
            UnixTime::since_unix_epoch(unix_duration(time)),
            context.algorithms.all,
        )
    };
    let now_seconds = unix_seconds(context.now);
    push_leaf_dates(report, now_seconds, problems);
    let error = match verify_at(context.now) {
        Ok(()) => return true,
        Err(error) => error,
    };
    if !is_date_error(&error) {
        push_trust_problem(&error, report, problems);
        return false;
    }
    push_intermediate_dates(report, now_seconds, problems);
    if let Some(time) = common_valid_time(&report.certificates) {
        if let Err(error) = verify_at(time) {
            push_trust_problem(&error, report, problems);
        }
    }
    false
}

fn check_host(
    context: &Context<'_>,
    leaf: &ParsedCertificate<'_>,
    report: &ChainReport,
    problems: &mut Vec<Problem>,
) -> bool {
    if verify_server_name(leaf, context.server_name).is_ok() {
        return true;
    }
    let names = report
        .certificates
        .first()
        .map(|info| info.subject_alt_names.clone())
        .unwrap_or_default();
    problems.push(Problem::WrongHost {
        host: context.host.to_owned(),
        names,
    });
    false
}

/// Reports the leaf's dates whether or not the chain verified, because a
/// dates problem on the leaf is always worth showing.
fn push_leaf_dates(report: &ChainReport, now: i64, problems: &mut Vec<Problem>) {
    if let Some(leaf) = report.certificates.first() {
        push_dates(leaf, now, problems);
    }
}

/// Reports intermediates' dates only after a date failure. A server may
/// send an expired cross-signed certificate that the verified path does
/// not use, and that should not show up as a problem.
fn push_intermediate_dates(report: &ChainReport, now: i64, problems: &mut Vec<Problem>) {
    for info in report.certificates.iter().skip(1) {
        push_dates(info, now, problems);
    }
}

fn push_dates(info: &CertInfo, now: i64, problems: &mut Vec<Problem>) {
    if now > info.not_after {
        problems.push(Problem::Expired {
            subject: info.subject.clone(),
            not_after: info.not_after,
        });
    } else if now < info.not_before {
        problems.push(Problem::NotYetValid {
            subject: info.subject.clone(),
            not_before: info.not_before,
        });
    }
}

fn push_trust_problem(error: &rustls::Error, report: &ChainReport, problems: &mut Vec<Problem>) {
    let problem = match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            issuer_problem(&report.certificates)
        }
        other => Problem::Other(other.to_string()),
    };
    problems.push(problem);
}

/// Names the reason a chain has no trusted root: a self-signed leaf, or
/// the last certificate's issuer (its own subject when it is a root).
fn issuer_problem(certificates: &[CertInfo]) -> Problem {
    match certificates {
        [] => Problem::Other("the chain could not be parsed".to_owned()),
        [leaf, ..] if leaf.self_signed => Problem::SelfSigned,
        [.., last] => Problem::UntrustedIssuer {
            issuer: last.issuer.clone(),
        },
    }
}

fn is_date_error(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
        )
    )
}

/// Returns the middle of the period in which every certificate is valid,
/// or `None` when the periods do not overlap.
fn common_valid_time(certificates: &[CertInfo]) -> Option<SystemTime> {
    let start = certificates.iter().map(|info| info.not_before).max()?;
    let end = certificates.iter().map(|info| info.not_after).min()?;
    if start > end {
        return None;
    }
    let middle = start + (end - start) / 2;
    let seconds = u64::try_from(middle).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

fn unix_duration(time: SystemTime) -> Duration {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

fn unix_seconds(time: SystemTime) -> i64 {
    i64::try_from(unix_duration(time).as_secs()).unwrap_or(i64::MAX)
}
