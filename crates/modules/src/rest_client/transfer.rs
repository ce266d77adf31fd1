//! One blocking HTTP transfer and the return codes OpenSIPS' rest_client gives its outcome:
//! 1 when any HTTP reply arrived (a 4xx/5xx is still 1, its code goes to the code variable),
//! -1 connection refused, -2 connect timeout, -3 transfer timeout, -10 anything else.

use std::io::ErrorKind;

use ureq::{Agent, Error, Timeout};

/// A reply arrived (whatever its status).
pub const RCL_OK: i32 = 1;
/// The server refused the connection.
pub const RCL_CONNECT_REFUSED: i32 = -1;
/// `connection_timeout` ran out before a connection was made.
pub const RCL_CONNECT_TIMEOUT: i32 = -2;
/// `curl_timeout` ran out after the connection was made.
pub const RCL_TRANSFER_TIMEOUT: i32 = -3;
/// Anything else: a bad URL, an unknown host, a TLS failure, a body over the size limit.
pub const RCL_INTERNAL_ERR: i32 = -10;

/// The HTTP methods of the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `rest_get`.
    Get,
    /// `rest_post`.
    Post,
    /// `rest_put`.
    Put,
}

/// What a script asked to send.
pub struct Request<'a> {
    /// GET, POST or PUT.
    pub method: Method,
    /// The URL.
    pub url: &'a str,
    /// Body and Content-Type of a POST/PUT.
    pub body: Option<(&'a str, &'a str)>,
    /// Headers appended by `rest_append_hf`.
    pub headers: &'a [(String, String)],
}

/// What came back.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status, 0 when no reply arrived.
    pub status: u16,
    /// The body, trimmed of surrounding white space as OpenSIPS does.
    pub body: String,
    /// The Content-Type header, trimmed (empty when absent).
    pub ctype: String,
}

/// Runs the request; `Err` is the negative return code, with the status when a reply's
/// head arrived before the failure.
pub fn perform(agent: &Agent, req: &Request, max_body: u64) -> Result<Reply, (i32, u16)> {
    let response = match req.method {
        Method::Get => {
            let mut b = agent.get(req.url);
            for (k, v) in req.headers {
                b = b.header(k, v);
            }
            b.call()
        }
        Method::Post | Method::Put => {
            let mut b = if req.method == Method::Post {
                agent.post(req.url)
            } else {
                agent.put(req.url)
            };
            for (k, v) in req.headers {
                b = b.header(k, v);
            }
            let (body, ctype) = req.body.unwrap_or(("", ""));
            b.content_type(ctype).send(body)
        }
    };
    let response = response.map_err(|e| (code_of(&e), 0))?;
    let status = response.status().as_u16();
    let ctype = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_string();
    let bytes = response
        .into_body()
        .with_config()
        .limit(max_body)
        .read_to_vec()
        .map_err(|e| (code_of(&e), status))?;
    Ok(Reply {
        status,
        body: String::from_utf8_lossy(&bytes).trim().to_string(),
        ctype,
    })
}

/// The return code of a failed transfer.
pub fn code_of(e: &Error) -> i32 {
    match e {
        Error::Timeout(Timeout::Connect | Timeout::Resolve) => RCL_CONNECT_TIMEOUT,
        Error::Timeout(_) => RCL_TRANSFER_TIMEOUT,
        Error::ConnectionFailed => RCL_CONNECT_REFUSED,
        // What libcurl reports as CURLE_COULDNT_CONNECT, which rest_client returns as -1.
        Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::AddrNotAvailable => RCL_CONNECT_REFUSED,
            ErrorKind::TimedOut => RCL_TRANSFER_TIMEOUT,
            _ => RCL_INTERNAL_ERR,
        },
        _ => RCL_INTERNAL_ERR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_follow_opensips() {
        assert_eq!(
            code_of(&Error::Timeout(Timeout::Connect)),
            RCL_CONNECT_TIMEOUT
        );
        assert_eq!(
            code_of(&Error::Timeout(Timeout::Resolve)),
            RCL_CONNECT_TIMEOUT
        );
        assert_eq!(
            code_of(&Error::Timeout(Timeout::Global)),
            RCL_TRANSFER_TIMEOUT
        );
        assert_eq!(
            code_of(&Error::Timeout(Timeout::RecvBody)),
            RCL_TRANSFER_TIMEOUT
        );
        assert_eq!(
            code_of(&Error::Io(std::io::Error::from(
                ErrorKind::ConnectionRefused
            ))),
            RCL_CONNECT_REFUSED
        );
        assert_eq!(
            code_of(&Error::Io(std::io::Error::from(
                ErrorKind::NetworkUnreachable
            ))),
            RCL_CONNECT_REFUSED
        );
        assert_eq!(code_of(&Error::ConnectionFailed), RCL_CONNECT_REFUSED);
        assert_eq!(code_of(&Error::HostNotFound), RCL_INTERNAL_ERR);
        assert_eq!(code_of(&Error::BadUri("x".into())), RCL_INTERNAL_ERR);
    }
}
