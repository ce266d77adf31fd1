//! `nathelper`: helps user agents behind NAT — `nat_uac_test(flags)` detects them,
//! `fix_nated_contact([uri_params])`, `fix_nated_register()`, `add_rcv_param([flag])` and
//! `fix_nated_sdp(flags[, ip])` rewrite what they advertise to the address packets really
//! come from (OpenSIPS 3.x names, flags and return codes).
//!
//! Keep-alive pinging of registered NATed contacts (`natping_interval`, `sipping_*`) is not
//! done: the parameters are accepted and a non-zero `natping_interval` is reported at start-up
//! (see docs/compatibility.md). The registrar keeps NATed bindings reachable without it as
//! long as the device refreshes its registration.

mod contact;
mod flags;
mod sdp;
mod test;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("natping_interval"),
    ModParamSpec::int("ping_nated_only"),
    ModParamSpec::int("natping_partitions"),
    ModParamSpec::str("natping_socket"),
    ModParamSpec::str("received_avp"),
    ModParamSpec::str("force_socket"),
    ModParamSpec::str("sipping_bflag"),
    ModParamSpec::str("remove_on_timeout_bflag"),
    ModParamSpec::str("sipping_latency_flag"),
    ModParamSpec::str("sipping_ignore_rpl_codes"),
    ModParamSpec::str("sipping_from"),
    ModParamSpec::str("sipping_method"),
    ModParamSpec::str("nortpproxy_str"),
    ModParamSpec::int("natping_tcp"),
    ModParamSpec::str("oldip_skip"),
    ModParamSpec::int("ping_threshold"),
    ModParamSpec::int("max_pings_lost"),
    ModParamSpec::int("cluster_id"),
    ModParamSpec::str("cluster_sharing_tag"),
];

/// The module.
#[derive(Default)]
pub struct NatHelper {
    /// The AVP name (from `$avp(name)`) `fix_nated_register` fills.
    received_avp: Option<String>,
    natping_interval: i64,
    /// The SDP line `fix_nated_sdp`'s add-no-rtpproxy flag adds (`nortpproxy_str`).
    nortpproxy: Option<String>,
}

impl Module for NatHelper {
    fn name(&self) -> &'static str {
        "nathelper"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "received_avp" => {
                let text = value.as_str();
                let inner = text
                    .trim()
                    .strip_prefix("$avp(")
                    .and_then(|s| s.strip_suffix(')'))
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("received_avp must be $avp(name), got {text}"))?;
                self.received_avp = Some(inner.to_owned());
            }
            "natping_interval" => self.natping_interval = value.as_int(),
            "nortpproxy_str" => self.nortpproxy = Some(value.as_str().trim_end().to_owned()),
            _ if PARAMS.iter().any(|p| p.name == name) => {}
            _ => return Err(format!("module nathelper has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        if self.natping_interval > 0 {
            siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "nathelper",
                "natping_interval is set but siplua does not send NAT keep-alive pings; \
                 NATed devices must refresh their registrations themselves",
            );
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let all = RouteMask::of(&[
            RouteType::Request,
            RouteType::OnReply,
            RouteType::Failure,
            RouteType::Branch,
        ]);
        let received_avp = self.received_avp.clone();
        let nortpproxy = self
            .nortpproxy
            .clone()
            .unwrap_or_else(|| sdp::DEFAULT_NORTPPROXY.to_owned());
        vec![
            FunctionDecl::new(
                "nat_uac_test",
                vec![ParamSpec::req("flags", ParamKind::Str)],
                all,
                |ctx: &mut Context, args: &Args| match test::FLAGS.arg(ctx, args, 0) {
                    Some(flags) if test::nat_uac_test(ctx, flags) => 1,
                    _ => -1,
                },
            )
            .with_fixup(|args| test::FLAGS.fixup(args, 0)),
            FunctionDecl::new(
                "fix_nated_contact",
                vec![ParamSpec::opt("uri_params", ParamKind::Str)],
                all,
                |ctx: &mut Context, args: &Args| {
                    let params = args.str(ctx, 0).map(|p| p.into_owned());
                    contact::fix_nated_contact(ctx, params.as_deref())
                },
            ),
            FunctionDecl::new(
                "fix_nated_register",
                vec![],
                RouteMask::of(&[RouteType::Request]),
                move |ctx: &mut Context, _: &Args| {
                    contact::fix_nated_register(ctx, received_avp.as_deref())
                },
            ),
            FunctionDecl::new(
                "add_rcv_param",
                vec![ParamSpec::opt("flag", ParamKind::Int)],
                RouteMask::of(&[RouteType::Request]),
                |ctx: &mut Context, args: &Args| {
                    let in_uri = args.int(ctx, 0).unwrap_or(0) != 0;
                    contact::add_rcv_param(ctx, in_uri)
                },
            ),
            FunctionDecl::new(
                "fix_nated_sdp",
                vec![
                    ParamSpec::req("flags", ParamKind::Str),
                    ParamSpec::opt("ip_address", ParamKind::Str),
                    ParamSpec::opt("sdp_fields", ParamKind::Str),
                ],
                all,
                move |ctx: &mut Context, args: &Args| {
                    let Some(flags) = sdp::FLAGS.arg(ctx, args, 0) else {
                        return -1;
                    };
                    let ip = args.str(ctx, 1).map(|p| p.into_owned());
                    let fields = args.str(ctx, 2).map(|p| p.into_owned());
                    let extra = sdp::Extra {
                        nortpproxy: &nortpproxy,
                        fields: fields.as_deref().unwrap_or(""),
                    };
                    sdp::fix_nated_sdp(ctx, flags, ip.as_deref(), &extra)
                },
            )
            .with_fixup(|args| sdp::FLAGS.fixup(args, 0)),
        ]
    }
}
