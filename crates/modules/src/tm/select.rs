//! Choosing the response to send upstream when every branch has a final one
//! (RFC 3261 §16.7 step 6).

/// The index of the best final response among `codes` (in arrival order): a 6xx if there is
/// one, else the lowest class; the first received wins within a class. `None` when empty.
pub fn best_response(codes: &[u16]) -> Option<usize> {
    if let Some(i) = codes.iter().position(|c| (600..700).contains(c)) {
        return Some(i);
    }
    let class = |c: u16| c / 100;
    codes
        .iter()
        .enumerate()
        .min_by_key(|(i, c)| (class(**c), *i))
        .map(|(i, _)| i)
}

/// What is sent upstream for a chosen code: a 503 becomes 500, since the 503 speaks of the
/// downstream server, not of us (RFC 3261 §16.7 step 6).
pub fn upstream_code(code: u16) -> u16 {
    if code == 503 {
        500
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_as_the_rfc_says() {
        assert_eq!(best_response(&[486, 408]), Some(0));
        assert_eq!(best_response(&[500, 404, 486]), Some(1));
        assert_eq!(best_response(&[302, 404]), Some(0));
        assert_eq!(best_response(&[404, 603, 302]), Some(1));
        assert_eq!(best_response(&[]), None);
        assert_eq!(upstream_code(503), 500);
        assert_eq!(upstream_code(486), 486);
    }
}
