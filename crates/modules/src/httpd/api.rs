//! What `httpd` offers other modules: register a handler under a root path segment.

use std::sync::Arc;

use parking_lot::RwLock;
use siplua_core::engine::Core;

/// One HTTP request, read whole.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The body (at most 1 MiB).
    pub body: Vec<u8>,
}

/// The answer of a handler.
#[derive(Clone, Debug)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// A plain-text reply (errors).
    pub fn text(status: u16, text: &str) -> HttpReply {
        HttpReply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.as_bytes().to_vec(),
        }
    }
}

/// A handler: the running engine and the request in, the reply out.
pub type HttpHandler = Arc<dyn Fn(&Arc<Core>, &HttpRequest) -> HttpReply + Send + Sync>;

/// The handlers by root (`mi`, `metrics`), published by `httpd` for the modules after it.
#[derive(Default)]
pub struct HttpdApi {
    handlers: RwLock<Vec<(String, HttpHandler)>>,
}

impl HttpdApi {
    /// Serves `handler` for `/root` and everything under it; an error when the root is taken.
    pub fn register(&self, root: &str, handler: HttpHandler) -> Result<(), String> {
        let root = root.trim_matches('/').to_owned();
        let mut h = self.handlers.write();
        if h.iter().any(|(r, _)| *r == root) {
            return Err(format!("httpd: the path /{root} is already served"));
        }
        h.push((root, handler));
        Ok(())
    }

    /// The handler for a request path: the one whose root is the path's first segment.
    pub fn find(&self, path: &str) -> Option<HttpHandler> {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        self.handlers
            .read()
            .iter()
            .find(|(r, _)| r == first)
            .map(|(_, h)| h.clone())
    }
}
