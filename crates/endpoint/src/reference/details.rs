//! The endpoint details document the reference server writes for the
//! backup administrator: `hostName`, `url`, `groupId`, `priority` and
//! `token`, in the form `nbwss servers add --file` accepts.
//!
//! The document is checked with the protocol crate's own parser before it
//! is written. Copying it to the backup server is left to the administrator.

use std::io::Write;
use std::net::Ipv6Addr;
use std::path::Path;

use nbwss_protocol::details::{DetailsOptions, EndpointDetails, parse_details};

use super::{ReferenceError, WSS_PATH};

/// Builds and checks the details of an endpoint reachable at `public_host`
/// on `port`. Returns the details and their JSON text.
pub(crate) fn build_details(
    public_host: &str,
    port: u16,
    group_id: &str,
    priority: u32,
    token: &str,
) -> Result<(EndpointDetails, String), ReferenceError> {
    let url_host = if public_host.parse::<Ipv6Addr>().is_ok() {
        format!("[{public_host}]")
    } else {
        public_host.to_owned()
    };
    let details = EndpointDetails {
        host_name: public_host.to_owned(),
        url: format!("wss://{url_host}:{port}{WSS_PATH}"),
        group_id: group_id.to_owned(),
        priority,
        token: token.to_owned(),
    };
    let text = serde_json::to_string_pretty(&details).map_err(ReferenceError::DetailsEncode)?;
    let mut parsed =
        parse_details(&text, DetailsOptions::default()).map_err(ReferenceError::DetailsInvalid)?;
    let details = parsed.pop().unwrap_or(details);
    Ok((details, text + "\n"))
}

/// Writes `text` to `path`, readable by the owner only because it contains
/// a token.
pub(crate) fn write_details(path: &Path, text: &str) -> Result<(), ReferenceError> {
    let write_error = |source| ReferenceError::DetailsWrite {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(write_error)?;
    // `mode` applies only when the file is created, so tighten an existing
    // file as well.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(write_error)?;
    }
    file.write_all(text.as_bytes()).map_err(write_error)?;
    file.sync_all().map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv6 host is bracketed in the URL but not in `hostName`.
    #[test]
    fn brackets_ipv6_host_in_url() {
        let (details, _) = build_details("::1", 8443, "group", 0, "token").unwrap();
        assert_eq!(details.url, "wss://[::1]:8443/nbwss");
        assert_eq!(details.host_name, "::1");
    }

    /// A host name that the details parser rejects is reported.
    #[test]
    fn rejects_invalid_public_host() {
        let result = build_details("bad host", 8443, "group", 0, "token");
        assert!(
            matches!(result, Err(ReferenceError::DetailsInvalid(_))),
            "{result:?}"
        );
    }

    /// The written file is readable by its owner only.
    #[cfg(unix)]
    #[test]
    fn written_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("details.json");
        write_details(&path, "{}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
