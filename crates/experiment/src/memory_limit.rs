//! The memory limit every kind plans against: its default, the check of an estimate
//! against it, and bytes written for people.
//!
//! Each kind estimates the peak memory of its units from their tensor shapes before anything
//! is allocated (the escape and scaling kinds in `escape/memory.rs`, pre-training in
//! `pretrain/memory.rs`, the ViT in `vit/memory.rs`); a unit over the limit that cannot be
//! split is refused with one error naming the fields that set its size.

use crate::ExperimentError;

/// Three quarters of the memory the operating system reports as available
/// (`MemAvailable` in /proc/meminfo); no limit where that is unknown.
pub fn default_memory_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024 / 4 * 3)
        })
        .unwrap_or(u64::MAX)
}

/// Refuses `what` (the unit, with the values of the fields that set its size) when its
/// `estimate` in bytes is over `limit`; `fields` names the fields a user can lower.
pub(crate) fn check_estimate(
    estimate: f64,
    limit: u64,
    what: impl FnOnce() -> String,
    fields: &str,
) -> Result<(), ExperimentError> {
    if estimate <= limit as f64 {
        return Ok(());
    }
    Err(ExperimentError::TooBig { estimate, limit, what: what(), fields: fields.to_string() })
}

/// Bytes as "1.5 GiB".
pub fn human_bytes(bytes: f64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", units[0])
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_binary_units() {
        assert_eq!(human_bytes(512.0), "512 bytes");
        assert_eq!(human_bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
    }

    #[test]
    fn an_estimate_over_the_limit_names_the_unit_and_the_fields() {
        assert!(check_estimate(100.0, 100, || unreachable!(), "a").is_ok());
        let error = check_estimate(2048.0, 1024, || "the unit".into(), "model.x or model.y")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("the unit needs about 2.0 KiB"), "{error}");
        assert!(error.contains("limit of 1.0 KiB; lower model.x or model.y"), "{error}");
        assert!(error.contains("--memory-limit"), "{error}");
    }
}
