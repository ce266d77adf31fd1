//! Encoding a snapshot of the statistics with `prometheus-client`'s text encoder.
//!
//! OpenSIPS names a counter `opensips_rcv_requests`; `prometheus-client` would name a
//! counter `..._total`. To keep OpenSIPS' names (dashboards and alerts query them), counters
//! are encoded as untyped samples and gauges as gauges; `rate()` works on both.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use siplua_core::stats::{StatKind, StatSample};

use super::naming::Naming;

/// One scrape's worth of statistics.
#[derive(Debug)]
struct Snapshot {
    samples: Vec<StatSample>,
    naming: Naming,
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for s in &self.samples {
            let name = self.naming.metric_name(&s.group, &s.name);
            let kind = match s.kind {
                StatKind::Counter => MetricType::Unknown,
                StatKind::Gauge => MetricType::Gauge,
            };
            let help = s.full_name();
            let mut metric = encoder.encode_descriptor(&name, &help, None, kind)?;
            let labels = self.naming.labels(&s.group);
            if labels.is_empty() {
                metric.encode_gauge(&s.value)?;
            } else {
                metric.encode_family(&labels)?.encode_gauge(&s.value)?;
            }
        }
        Ok(())
    }
}

/// The text exposition of `samples`.
pub fn encode(samples: Vec<StatSample>, naming: &Naming) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot {
        samples,
        naming: naming.clone(),
    }));
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prometheus::naming::GroupMode;

    fn sample(group: &str, name: &str, kind: StatKind, value: i64) -> StatSample {
        StatSample {
            group: group.into(),
            name: name.into(),
            kind,
            value,
        }
    }

    #[test]
    fn text_exposition() {
        let naming = Naming {
            group_mode: GroupMode::Label,
            ..Naming::default()
        };
        let text = encode(
            vec![
                sample("core", "rcv_requests", StatKind::Counter, 7),
                sample("usrloc", "location-contacts", StatKind::Gauge, 3),
            ],
            &naming,
        )
        .unwrap();
        assert!(
            text.contains("# TYPE opensips_rcv_requests untyped\n"),
            "{text}"
        );
        assert!(
            text.contains("opensips_rcv_requests{group=\"core\"} 7\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE opensips_location_contacts gauge\n"),
            "{text}"
        );
        assert!(
            text.contains("opensips_location_contacts{group=\"usrloc\"} 3\n"),
            "{text}"
        );
    }
}
