//! Keys in order of first appearance, each once: how tables and plots order their groups.

/// The distinct keys of `keys`, in order of first appearance.
pub fn distinct<K: PartialEq>(keys: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut seen: Vec<K> = Vec::new();
    for key in keys {
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_appearances_in_order() {
        assert_eq!(distinct([3, 1, 3, 2, 1]), vec![3, 1, 2]);
        assert!(distinct(Vec::<u8>::new()).is_empty());
    }
}
