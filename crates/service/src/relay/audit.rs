//! The audit event of one command: one `tracing` event on the
//! `nbwss::audit` target per call, relayed, rejected, failed or cancelled.
//!
//! Fields: `endpoint`, `conn_id`, `msg_id`, `method`, `path` (the `uri`
//! without its query string), `status`, `duration_ms`, `request_bytes`,
//! `response_bytes` and, for a response the service generated, `error_code`
//! and `error`. Header values and bodies are never recorded. Routing the
//! target to the audit file is left to the logging set-up.

use std::borrow::Cow;
use std::time::Instant;

use nbwss_protocol::{CommandRequest, CommandResponse, ErrorCode};

use super::CallContext;

/// The `tracing` target of audit events.
pub(super) const AUDIT_TARGET: &str = "nbwss::audit";

/// Longest path recorded, in characters; a longer one is cut and marked
/// with `...`.
const MAX_PATH_CHARS: usize = 1024;

/// A call being audited. Dropping it before [`AuditRecord::finish`] or
/// [`AuditRecord::finish_with_error`] records the call as cancelled.
pub(super) struct AuditRecord {
    endpoint: String,
    conn_id: u64,
    msg_id: String,
    method: &'static str,
    path: String,
    request_bytes: usize,
    started: Instant,
    finished: bool,
}

impl AuditRecord {
    /// Starts the clock for `request`.
    pub(super) fn start(ctx: &CallContext, request: &CommandRequest) -> AuditRecord {
        AuditRecord {
            endpoint: ctx.endpoint.clone(),
            conn_id: ctx.conn_id,
            msg_id: ctx.msg_id.clone(),
            method: request.method.as_str(),
            path: printable_path(&request.uri),
            request_bytes: request.parameters.as_ref().map_or(0, String::len),
            started: Instant::now(),
            finished: false,
        }
    }

    /// Records a response from the upstream and returns it.
    ///
    /// `response_bytes` is the size of the upstream body before any base64
    /// encoding.
    pub(super) fn finish(
        mut self,
        response: CommandResponse,
        response_bytes: usize,
    ) -> CommandResponse {
        self.finished = true;
        tracing::info!(
            target: AUDIT_TARGET,
            endpoint = %self.endpoint,
            conn_id = self.conn_id,
            msg_id = %self.msg_id,
            method = self.method,
            path = %self.path,
            status = response.status_code,
            duration_ms = self.duration_ms(),
            request_bytes = self.request_bytes,
            response_bytes,
            "command relayed"
        );
        self.count(&response.status_code.to_string(), "upstream");
        response
    }

    /// Records an error the service generated, and returns its response.
    ///
    /// `response_bytes` counts the upstream body bytes read before the
    /// failure. `message` names no header value, so it is recorded.
    pub(super) fn finish_with_error(
        mut self,
        code: ErrorCode,
        message: &str,
        response_bytes: usize,
    ) -> CommandResponse {
        self.finished = true;
        let response = CommandResponse::error(code, message);
        tracing::info!(
            target: AUDIT_TARGET,
            endpoint = %self.endpoint,
            conn_id = self.conn_id,
            msg_id = %self.msg_id,
            method = self.method,
            path = %self.path,
            status = response.status_code,
            duration_ms = self.duration_ms(),
            request_bytes = self.request_bytes,
            response_bytes,
            error_code = code.as_str(),
            error = message,
            "service error returned"
        );
        self.count(&response.status_code.to_string(), code.as_str());
        response
    }

    /// Counts the call by status and source, and records its latency.
    fn count(&self, status: &str, source: &str) {
        let metrics = crate::metrics::metrics();
        metrics.increment(
            "nbwss_commands_total",
            "Commands answered, by HTTP status and by source (upstream or the service's error code).",
            &[("status", status), ("source", source)],
            1,
        );
        metrics.observe(
            "nbwss_command_duration_seconds",
            "Time from receiving a command to having its response, in seconds.",
            &[],
            self.started.elapsed(),
        );
    }

    fn duration_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

impl Drop for AuditRecord {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        tracing::info!(
            target: AUDIT_TARGET,
            endpoint = %self.endpoint,
            conn_id = self.conn_id,
            msg_id = %self.msg_id,
            method = self.method,
            path = %self.path,
            duration_ms = self.duration_ms(),
            request_bytes = self.request_bytes,
            "command cancelled"
        );
    }
}

/// Returns the path of `uri` without the query string, with control
/// characters escaped so that a rejected `uri` cannot forge log lines, and
/// cut to [`MAX_PATH_CHARS`].
fn printable_path(uri: &str) -> String {
    let path = uri.split('?').next().unwrap_or(uri);
    let escaped: Cow<'_, str> = if path.chars().any(char::is_control) {
        Cow::Owned(path.escape_debug().to_string())
    } else {
        Cow::Borrowed(path)
    };
    match escaped.char_indices().nth(MAX_PATH_CHARS) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query string is left out of the recorded path.
    #[test]
    fn path_drops_query() {
        assert_eq!(printable_path("/netbackup/jobs?x=1"), "/netbackup/jobs");
    }

    /// A newline in a rejected uri is escaped.
    #[test]
    fn path_escapes_newline() {
        assert_eq!(printable_path("/a\nb"), "/a\\nb");
    }

    /// A very long path is cut and marked.
    #[test]
    fn path_is_cut_to_limit() {
        let long = format!("/{}", "a".repeat(MAX_PATH_CHARS * 2));
        let printed = printable_path(&long);
        assert_eq!(printed.chars().count(), MAX_PATH_CHARS + 3);
    }
}
