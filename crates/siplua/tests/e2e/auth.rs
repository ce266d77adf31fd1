//! Digest authentication end to end (`auth`, `auth_db`, `db_text`): the real binary, real
//! UDP, credentials in a db_text `subscriber` table. Challenges, right and wrong passwords,
//! unknown users, stale and replayed nonces, nonce counts, SHA-256, auth-int, precomputed
//! HA1 columns, `pv_proxy_authorize` + `consume_credentials`, Lua choosing the realm, and
//! SIPp's own MD5 digest (`[authentication]`).

use crate::auth_support;
use crate::common;
use crate::storage_support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use auth_support::*;
use common::*;

fn next() -> u32 {
    static N: AtomicU32 = AtomicU32::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

const AUTH_MODULES: &str =
    "loadmodule \"db_text.so\"\nloadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\n\
modparam(\"auth_db\", \"db_url\", \"text://{DIR}/db\")\n";

/// `www_authorize` against the table; the challenge's qop/algorithms picked by the R-URI
/// user; the result code in `X-RC`, the auth variables in the 200.
const ROUTES: &str = r#"route {
    if (!www_authorize("example.com", "subscriber")) {
        $var(rc) = $rc;
        append_to_reply("X-RC: $var(rc)\r\n");
        if ($rU == "sha") {
            www_challenge("example.com", "auth", "SHA-256,MD5");
            exit;
        }
        if ($rU == "int") {
            www_challenge("example.com", "auth-int");
            exit;
        }
        if ($rU == "qop") {
            www_challenge("example.com", "auth");
            exit;
        }
        www_challenge("example.com");
        exit;
    }
    append_to_reply("X-User: $au\r\nX-Realm: $ar\r\nX-Whole: $aU\r\nX-Alg: $aa\r\n");
    if (db_is_from_authorized("uri")) {
        append_to_reply("X-From-Auth: yes\r\n");
    }
    if (db_does_uri_exist("sip:bob@example.com", "subscriber")) {
        append_to_reply("X-Bob: yes\r\n");
    }
    if (is_rpid_user_e164()) {
        append_to_reply("X-E164: yes\r\n");
    }
    sl_send_reply(200, "Authorized");
}"#;

fn start(modparams: &str) -> Server {
    let dir = scratch("auth");
    write_db(&dir.join("db"));
    Server::start_in(&dir, &cfg(&format!("{AUTH_MODULES}{modparams}"), ROUTES))
}

struct Client {
    udp: UdpClient,
}

impl Client {
    fn new() -> Client {
        Client {
            udp: UdpClient::new(),
        }
    }

    /// Sends REGISTER to `sip:{user}@example.com` with an optional Authorization value.
    fn send(&self, s: &Server, user: &str, auth: Option<&str>, body: &str) -> String {
        let extra = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        let req = request_with_body(
            "REGISTER",
            &format!("sip:{user}@example.com"),
            self.udp.port(),
            next(),
            &extra,
            body,
        );
        self.udp
            .request(s, &req)
            .unwrap_or_else(|| panic!("no reply; log:\n{}", s.log_text()))
    }

    /// Sends to `user` the credentials answering `ch` as `a`.
    fn answer(&self, s: &Server, user: &str, ch: &Challenge, a: &Answer) -> String {
        self.send(s, user, Some(&credentials(ch, a)), "")
    }

    /// The first challenge of an unauthenticated request to `user`.
    fn challenge(&self, s: &Server, user: &str) -> (String, Challenge) {
        let r = self.send(s, user, None, "");
        let c = challenges(&r, "WWW-Authenticate");
        assert!(!c.is_empty(), "no challenge in:\n{r}");
        (r, c[0].clone())
    }
}

fn answer<'a>(user: &'a str, password: &'a str, ruri: &'a str) -> Answer<'a> {
    Answer {
        username: user,
        password,
        method: "REGISTER",
        uri: ruri,
        qop: None,
        body: b"",
    }
}

#[test]
fn challenge_password_user_and_replay() {
    let s = start("modparam(\"auth_db\", \"calculate_ha1\", 1)\n");
    let c = Client::new();
    let ruri = "sip:alice@example.com";

    let (r, ch) = c.challenge(&s, "alice");
    assert_eq!(status(&r), 401, "{r}");
    assert_eq!(reason(&r), "Unauthorized");
    assert_eq!(header(&r, "X-RC"), Some("-4"), "no credentials: -4");
    assert_eq!(ch.realm, "example.com");
    assert_eq!(
        (ch.qop.as_deref(), ch.algorithm.as_deref(), ch.stale),
        (None, None, false)
    );

    let good = credentials(&ch, &answer("alice", PASSWORD, ruri));
    let r = c.send(&s, "alice", Some(&good), "");
    assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());
    assert_eq!(header(&r, "X-User"), Some("alice"));
    assert_eq!(header(&r, "X-Realm"), Some("example.com"));
    assert_eq!(header(&r, "X-E164"), None, "no load_credentials: no AVP");

    // The same credentials again: without qop a nonce is good once.
    let r = c.send(&s, "alice", Some(&good), "");
    assert_eq!((status(&r), header(&r, "X-RC")), (401, Some("-3")), "{r}");
    assert!(
        challenges(&r, "WWW-Authenticate")[0].stale,
        "stale=true: {r}"
    );

    let (_, ch) = c.challenge(&s, "alice");
    let wrong = credentials(&ch, &answer("alice", "nope", ruri));
    let r = c.send(&s, "alice", Some(&wrong), "");
    assert_eq!((status(&r), header(&r, "X-RC")), (401, Some("-2")), "{r}");
    assert!(!challenges(&r, "WWW-Authenticate")[0].stale);

    let unknown = credentials(&ch, &answer("mallory", PASSWORD, ruri));
    let r = c.send(&s, "alice", Some(&unknown), "");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");

    // A nonce this server never issued is treated as stale.
    let forged = Challenge {
        nonce: "00".repeat(34),
        ..ch.clone()
    };
    let r = c.send(
        &s,
        "alice",
        Some(&credentials(&forged, &answer("alice", PASSWORD, ruri))),
        "",
    );
    assert_eq!(header(&r, "X-RC"), Some("-3"), "{r}");

    // Credentials for another realm are no credentials for this one.
    let other = Challenge {
        realm: "elsewhere.org".into(),
        ..ch
    };
    let r = c.send(
        &s,
        "alice",
        Some(&credentials(&other, &answer("alice", PASSWORD, ruri))),
        "",
    );
    assert_eq!(header(&r, "X-RC"), Some("-4"), "{r}");

    // Malformed credentials: 400, the script stops (return code 0).
    let r = c.send(
        &s,
        "alice",
        Some("Digest realm=\"example.com\", nonce=\"x\""),
        "",
    );
    assert_eq!(status(&r), 400, "{r}");
    assert_eq!(status(&c.send(&s, "alice", None, "")), 401, "still serving");
}

#[test]
fn nonce_counts_sha256_and_auth_int() {
    let s = start("modparam(\"auth_db\", \"calculate_ha1\", 1)\n");
    let c = Client::new();

    // qop=auth: each use needs a higher nonce count; a replayed count is refused.
    let ruri = "sip:qop@example.com";
    let (_, ch) = c.challenge(&s, "qop");
    assert_eq!(ch.qop.as_deref(), Some("auth"));
    let with_nc = |n| {
        credentials(
            &ch,
            &Answer {
                qop: Some(("auth", n)),
                ..answer("alice", PASSWORD, ruri)
            },
        )
    };
    assert_eq!(status(&c.send(&s, "qop", Some(&with_nc(1)), "")), 200);
    assert_eq!(status(&c.send(&s, "qop", Some(&with_nc(2)), "")), 200);
    let r = c.send(&s, "qop", Some(&with_nc(2)), "");
    assert_eq!((status(&r), header(&r, "X-RC")), (401, Some("-3")), "{r}");
    assert!(challenges(&r, "WWW-Authenticate")[0].stale);
    let r = c.send(&s, "qop", Some(&with_nc(1)), "");
    assert_eq!(header(&r, "X-RC"), Some("-3"), "{r}");
    assert_eq!(status(&c.send(&s, "qop", Some(&with_nc(3)), "")), 200);

    // SHA-256 and MD5 offered, strongest first, each with its own nonce.
    let r = c.send(&s, "sha", None, "");
    let chs = challenges(&r, "WWW-Authenticate");
    let algs: Vec<_> = chs
        .iter()
        .map(|c| c.algorithm.clone().unwrap_or_default())
        .collect();
    assert_eq!(algs, ["SHA-256", "MD5"], "{r}");
    assert_ne!(chs[0].nonce, chs[1].nonce);
    let ruri = "sip:sha@example.com";
    let sha = credentials(
        &chs[0],
        &Answer {
            qop: Some(("auth", 1)),
            ..answer("alice", PASSWORD, ruri)
        },
    );
    let r = c.send(&s, "sha", Some(&sha), "");
    assert_eq!(
        (status(&r), header(&r, "X-Alg")),
        (200, Some("SHA-256")),
        "{r}"
    );
    // A SHA-256 nonce answered with MD5 (a downgrade) is refused.
    let downgraded = Challenge {
        algorithm: Some("MD5".into()),
        ..chs[0].clone()
    };
    let md5 = credentials(
        &downgraded,
        &Answer {
            qop: Some(("auth", 1)),
            ..answer("alice", PASSWORD, ruri)
        },
    );
    assert_eq!(
        header(&c.send(&s, "sha", Some(&md5), ""), "X-RC"),
        Some("-2")
    );

    // auth-int covers the body: the right body passes, another body with the same
    // credentials fails.
    let ruri = "sip:int@example.com";
    let (_, ch) = c.challenge(&s, "int");
    assert_eq!(ch.qop.as_deref(), Some("auth-int"));
    let body = "hello body\r\n";
    let int = |n| {
        credentials(
            &ch,
            &Answer {
                qop: Some(("auth-int", n)),
                body: body.as_bytes(),
                ..answer("alice", PASSWORD, ruri)
            },
        )
    };
    let r = c.send(&s, "int", Some(&int(1)), body);
    assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());
    let r = c.send(&s, "int", Some(&int(2)), "tampered body\r\n");
    assert_eq!(header(&r, "X-RC"), Some("-2"), "{r}");
}

#[test]
fn expired_nonce_is_stale() {
    let s = start(
        "modparam(\"auth\", \"nonce_expire\", 1)\nmodparam(\"auth_db\", \"calculate_ha1\", 1)\n",
    );
    let c = Client::new();
    let (_, ch) = c.challenge(&s, "alice");
    std::thread::sleep(Duration::from_millis(2100));
    let creds = credentials(&ch, &answer("alice", PASSWORD, "sip:alice@example.com"));
    let r = c.send(&s, "alice", Some(&creds), "");
    assert_eq!((status(&r), header(&r, "X-RC")), (401, Some("-3")), "{r}");
    let again = challenges(&r, "WWW-Authenticate");
    assert!(again[0].stale, "{r}");
    // The fresh nonce works at once.
    let creds = credentials(
        &again[0],
        &answer("alice", PASSWORD, "sip:alice@example.com"),
    );
    assert_eq!(status(&c.send(&s, "alice", Some(&creds), "")), 200);
}

#[test]
fn precomputed_ha1_columns() {
    // calculate_ha1 = 0 (the default): HA1 from `ha1`, `ha1b` (username with domain),
    // `ha1_sha256`; the plain password column is never read.
    let s = start("modparam(\"auth_db\", \"use_domain\", 1)\nmodparam(\"auth_db\", \"load_credentials\", \"$avp(rpid)=rpid\")\n");
    let c = Client::new();
    let ruri = "sip:alice@example.com";
    let (_, ch) = c.challenge(&s, "alice");
    let r = c.answer(&s, "alice", &ch, &answer("alice", PASSWORD, ruri));
    assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());

    let (_, ch) = c.challenge(&s, "alice");
    let r = c.answer(
        &s,
        "alice",
        &ch,
        &answer("alice@example.com", PASSWORD, ruri),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-User"), Some("alice"));
    assert_eq!(header(&r, "X-Whole"), Some("alice@example.com"));
    assert_eq!(header(&r, "X-From-Auth"), Some("yes"), "From is alice: {r}");
    assert_eq!(header(&r, "X-Bob"), Some("yes"));
    assert_eq!(
        header(&r, "X-E164"),
        Some("yes"),
        "load_credentials put the rpid column into $avp(rpid): {r}"
    );

    let r = c.send(&s, "sha", None, "");
    let ch = challenges(&r, "WWW-Authenticate")[0].clone();
    let sha = credentials(
        &ch,
        &Answer {
            qop: Some(("auth", 1)),
            ..answer("bob", PASSWORD, "sip:sha@example.com")
        },
    );
    let r = c.send(&s, "sha", Some(&sha), "");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        header(&r, "X-From-Auth"),
        None,
        "bob is not the From user: {r}"
    );

    // use_domain: the user must exist in the domain of the username.
    let (_, ch) = c.challenge(&s, "alice");
    let r = c.answer(&s, "alice", &ch, &answer("alice@other.org", PASSWORD, ruri));
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
}

/// `pv_proxy_authorize` with the password from `$var`, a 407 challenge, then
/// `consume_credentials` before forwarding: the next hop never sees the credentials.
#[test]
fn pv_proxy_authorize_and_consume_credentials() {
    let next_hop = UdpClient::new();
    let routes = format!(
        r#"route {{
    $var(user) = "carol";
    $var(pass) = "{PASSWORD}";
    if (!pv_proxy_authorize("")) {{
        $var(rc) = $rc;
        append_to_reply("X-RC: $var(rc)\r\n");
        proxy_challenge("", "auth");
        exit;
    }}
    consume_credentials();
    $du = "sip:127.0.0.1:{}";
    forward();
}}"#,
        next_hop.port()
    );
    let globals = "loadmodule \"auth.so\"\nmodparam(\"auth\", \"username_spec\", \"$var(user)\")\n\
modparam(\"auth\", \"password_spec\", \"$var(pass)\")\nmodparam(\"auth\", \"calculate_ha1\", 1)\n";
    let s = Server::start(&cfg(globals, &routes));
    let c = UdpClient::new();
    let ruri = "sip:bob@example.com";
    let invite = |auth: Option<&str>| {
        let extra = auth.map_or(String::new(), |a| format!("Proxy-Authorization: {a}\r\n"));
        request("INVITE", ruri, c.port(), &extra)
    };
    let r = c.request(&s, &invite(None)).expect("407");
    assert_eq!(status(&r), 407, "{r}");
    assert_eq!(reason(&r), "Proxy Authentication Required");
    // Realm from the From host (the request is not a REGISTER).
    let ch = challenges(&r, "Proxy-Authenticate")[0].clone();
    assert_eq!(ch.realm, "example.com");
    let a = Answer {
        method: "INVITE",
        qop: Some(("auth", 1)),
        ..answer("carol", PASSWORD, ruri)
    };
    c.send(&s, invite(Some(&credentials(&ch, &a))).as_bytes());
    let fwd = next_hop
        .recv_timeout(Duration::from_secs(3))
        .unwrap_or_else(|| panic!("not forwarded; log:\n{}", s.log_text()));
    assert!(fwd.starts_with("INVITE "), "{fwd}");
    assert!(header(&fwd, "Proxy-Authorization").is_none(), "{fwd}");

    let wrong = Answer {
        username: "dave",
        ..a
    };
    let r = c
        .request(&s, &invite(Some(&credentials(&ch, &wrong))))
        .expect("407");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
}

/// Lua picks the realm and calls `www_challenge` / `www_authorize` through `moduleFunc`.
#[test]
fn lua_chooses_the_realm() {
    let dir = scratch("auth-lua");
    write_db(&dir.join("db"));
    std::fs::write(
        dir.join("test.lua"),
        r#"
function auth(msg)
  local realm = "example.com"
  if getHeader(msg, "X-Tenant") == "b" then realm = "b.example.net" end
  local rc = moduleFunc(msg, "www_authorize", realm, "subscriber")
  if rc < 0 then
    add_lump_rpl(msg, "X-Lua-RC: " .. rc .. "\r\n")
    moduleFunc(msg, "www_challenge", realm, "auth")
    return -1
  end
  return 1
end
"#,
    )
    .unwrap();
    let cfg = format!(
        "log_level = 3\nstderror_enabled = yes\nsyslog_enabled = no\nudp_workers = 1\n\
socket = udp:127.0.0.1:{{PORT}}\nloadmodule \"proto_udp.so\"\nloadmodule \"sl.so\"\n\
loadmodule \"signaling.so\"\nloadmodule \"lua.so\"\n{AUTH_MODULES}\
modparam(\"auth_db\", \"calculate_ha1\", 1)\nmodparam(\"lua\", \"luafilename\", \"{{DIR}}/test.lua\")\n\
route {{\n  if (!lua_exec(\"auth\")) {{ exit; }}\n  sl_send_reply(200, \"Lua Authorized\");\n}}\n"
    );
    let s = Server::start_in(&dir, &cfg);
    let c = UdpClient::new();
    let ruri = "sip:alice@example.com";
    for (tenant, realm) in [("a", "example.com"), ("b", "b.example.net")] {
        let req = request(
            "REGISTER",
            ruri,
            c.port(),
            &format!("X-Tenant: {tenant}\r\n"),
        );
        let r = c.request(&s, &req).expect("challenge");
        assert_eq!(
            (status(&r), header(&r, "X-Lua-RC")),
            (401, Some("-4")),
            "{r}"
        );
        let ch = challenges(&r, "WWW-Authenticate")[0].clone();
        assert_eq!(ch.realm, realm);
        let a = Answer {
            qop: Some(("auth", 1)),
            ..answer("alice", PASSWORD, ruri)
        };
        let extra = format!(
            "X-Tenant: {tenant}\r\nAuthorization: {}\r\n",
            credentials(&ch, &a)
        );
        let r = c
            .request(&s, &request("REGISTER", ruri, c.port(), &extra))
            .expect("reply");
        assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());
    }
}

/// SIPp computes the MD5 digest itself (`[authentication]`): an independent client.
#[test]
fn sipp_register_with_authentication() {
    let s = start("modparam(\"auth_db\", \"calculate_ha1\", 1)\n");
    let out = sipp(&[
        "-sf",
        &scenario("register_auth_uac.xml"),
        "-m",
        "3",
        "-l",
        "1",
        "-au",
        "alice",
        "-ap",
        PASSWORD,
        "-i",
        "127.0.0.1",
        "-p",
        &free_port().to_string(),
        "-timeout",
        "15",
        "-timeout_error",
        &format!("127.0.0.1:{}", s.port),
    ]);
    assert!(
        out.status.success(),
        "sipp failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        s.log_text()
    );
}

#[test]
fn configuration_errors_name_the_line() {
    let (out, path) = check_config(
        "badqop.cfg",
        &cfg(
            "loadmodule \"auth.so\"\n",
            "route {\n    www_challenge(\"x\", \"bogus\");\n}",
        )
        .replace("{PORT}", "5060"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("qop"),
        "{err}"
    );

    let (out, _) = check_config(
        "nodbtext.cfg",
        &cfg(
            "loadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\nmodparam(\"auth_db\", \"db_url\", \"text:///tmp\")\n",
            "route { exit; }",
        )
        .replace("{PORT}", "5060"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("db_text"), "{err}");
}

/// A database of its own on the shared MariaDB (`siplua_auth_<pid>_<n>`), with the schema
/// (`etc/schema/mysql/*.sql`, auth_db's included) and alice's row; dropped on drop.
fn own_db() -> storage_support::OwnDb {
    use siplua_db::DbValue;
    use siplua_modules::auth::digest::Algorithm;
    let (own, db) = storage_support::OwnDb::with_schema("auth");
    let realm = "example.com";
    let h = |alg| siplua_modules::auth::digest::ha1(alg, "alice", realm, PASSWORD);
    db.exec(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1_sha256, ha1_sha512t256) \
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            DbValue::from("alice"),
            DbValue::from(realm),
            DbValue::from(PASSWORD),
            DbValue::from(h(Algorithm::Md5)),
            DbValue::from(h(Algorithm::Sha256)),
            DbValue::from(h(Algorithm::Sha512_256)),
        ],
    )
    .unwrap();
    own
}

/// The same flows with the subscriber table on MariaDB: precomputed MD5 and SHA-512-256
/// HA1 columns, a wrong password, an unknown user.
#[test]
fn mariadb_subscriber_table() {
    let db = own_db();
    let globals = format!(
        "loadmodule \"db_mysql.so\"\nloadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\n\
modparam(\"auth_db\", \"db_url\", \"{}\")\nmodparam(\"auth_db\", \"use_domain\", 1)\n",
        db.url
    );
    let routes = ROUTES.replace("\"auth\", \"SHA-256,MD5\"", "\"auth\", \"SHA-512-256\"");
    let s = Server::start(&cfg(&globals, &routes));
    let c = Client::new();
    let ruri = "sip:alice@example.com";
    let (_, ch) = c.challenge(&s, "alice");
    let r = c.answer(&s, "alice", &ch, &answer("alice", PASSWORD, ruri));
    assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());

    let r = c.send(&s, "sha", None, "");
    let ch = challenges(&r, "WWW-Authenticate")[0].clone();
    assert_eq!(ch.algorithm.as_deref(), Some("SHA-512-256"), "{r}");
    let a = Answer {
        qop: Some(("auth", 1)),
        ..answer("alice", PASSWORD, "sip:sha@example.com")
    };
    let r = c.send(&s, "sha", Some(&credentials(&ch, &a)), "");
    assert_eq!(
        (status(&r), header(&r, "X-Alg")),
        (200, Some("SHA-512-256")),
        "{r}"
    );

    let (_, ch) = c.challenge(&s, "alice");
    let r = c.answer(&s, "alice", &ch, &answer("alice", "bad", ruri));
    assert_eq!(header(&r, "X-RC"), Some("-2"), "{r}");
    let r = c.answer(&s, "alice", &ch, &answer("zed", PASSWORD, ruri));
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
}
