//! Reading and writing safetensors files of f32 tensors, readable by Python's
//! `safetensors` package (`safetensors.numpy.load_file`, `safetensors.torch.load_file`).
//!
//! ```
//! use std::collections::BTreeMap;
//! use goldilocks_store::{read_safetensors, write_safetensors, NamedTensor};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("weights.safetensors");
//! let w = NamedTensor::new("w", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
//! let metadata = BTreeMap::from([("step".to_string(), "10".to_string())]);
//! write_safetensors(&path, &[w.clone()], &metadata).unwrap();
//! let file = read_safetensors(&path).unwrap();
//! assert_eq!(file.tensors, vec![w]);
//! assert_eq!(file.metadata, metadata);
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors};

use crate::tensor::check_all;
use crate::{write_atomic, NamedTensor, StoreError};

/// The content of a safetensors file: its tensors (sorted by name) and its string metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SafetensorsContents {
    /// The tensors, sorted by name.
    pub tensors: Vec<NamedTensor>,
    /// The `__metadata__` entries of the header (empty when there are none).
    pub metadata: BTreeMap<String, String>,
}

/// Encodes tensors (unique names, data fitting their shapes) and string metadata as the
/// bytes of a safetensors file.
///
/// The bytes depend only on the arguments: header keys are sorted (serde_json's map is
/// ordered), tensors are laid out in name order, and the header is padded with spaces to a
/// multiple of 8 bytes, as the safetensors package writes it. So a checkpoint recomputed
/// bit-for-bit has the same SHA-256.
pub fn encode_safetensors(
    tensors: &[NamedTensor],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, StoreError> {
    check_all(tensors)?;
    let mut sorted: Vec<&NamedTensor> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        header.insert(
            "__metadata__".into(),
            serde_json::to_value(metadata).expect("strings serialize"),
        );
    }
    let mut offset = 0usize;
    for tensor in &sorted {
        let end = offset + tensor.data.len() * std::mem::size_of::<f32>();
        header.insert(
            tensor.name.clone(),
            serde_json::json!({ "dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, end] }),
        );
        offset = end;
    }
    let mut json =
        serde_json::to_vec(&serde_json::Value::Object(header)).expect("headers serialize");
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut bytes = Vec::with_capacity(8 + json.len() + offset);
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    for tensor in sorted {
        bytes.extend(tensor.data.iter().flat_map(|x| x.to_le_bytes()));
    }
    Ok(bytes)
}

/// Decodes the bytes of a safetensors file of f32 tensors; `path` names the file in errors.
pub fn decode_safetensors(bytes: &[u8], path: &Path) -> Result<SafetensorsContents, StoreError> {
    let format_error = |source| StoreError::Format { path: path.to_path_buf(), source };
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(format_error)?;
    let file = SafeTensors::deserialize(bytes).map_err(format_error)?;
    let mut tensors = Vec::with_capacity(file.len());
    for (name, view) in file.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(StoreError::WrongDtype {
                path: path.to_path_buf(),
                name,
                dtype: format!("{:?}", view.dtype()),
            });
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.push(NamedTensor { name, shape: view.shape().to_vec(), data });
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    let metadata = header
        .metadata()
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(SafetensorsContents { tensors, metadata })
}

/// Writes tensors and metadata to a safetensors file atomically (see [`write_atomic`]).
/// Returns the bytes written, e.g. to checksum them.
pub fn write_safetensors(
    path: &Path,
    tensors: &[NamedTensor],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, StoreError> {
    let bytes = encode_safetensors(tensors, metadata)?;
    write_atomic(path, &bytes)?;
    Ok(bytes)
}

/// Reads a safetensors file of f32 tensors (no checksum; see
/// [`CheckpointStore::load`](crate::CheckpointStore::load) for verified reads).
pub fn read_safetensors(path: &Path) -> Result<SafetensorsContents, StoreError> {
    let bytes = std::fs::read(path).map_err(StoreError::io("read", path))?;
    decode_safetensors(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<NamedTensor> {
        vec![
            NamedTensor::new("w", vec![2, 3], vec![1.0, -2.0, 3.5, f32::MIN_POSITIVE, 0.0, 1e30])
                .unwrap(),
            NamedTensor::new("a.bias", vec![3], vec![0.1, 0.2, 0.3]).unwrap(),
            NamedTensor::new("scalar", vec![], vec![7.0]).unwrap(),
        ]
    }

    #[test]
    fn encoding_is_deterministic() {
        let metadata: BTreeMap<String, String> =
            (0..20).map(|i| (format!("key{i}"), i.to_string())).collect();
        let first = encode_safetensors(&sample(), &metadata).unwrap();
        for _ in 0..5 {
            assert_eq!(encode_safetensors(&sample(), &metadata).unwrap(), first);
        }
        let header_len = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
        assert_eq!(header_len % 8, 0);
        let decoded = decode_safetensors(&first, Path::new("x.safetensors")).unwrap();
        assert_eq!(decoded.metadata, metadata);
    }

    #[test]
    fn round_trip_is_exact_and_sorted_by_name() {
        let tensors = sample();
        let metadata = BTreeMap::from([("source".to_string(), "teacher".to_string())]);
        let bytes = encode_safetensors(&tensors, &metadata).unwrap();
        let back = decode_safetensors(&bytes, Path::new("x")).unwrap();
        let mut expected = tensors;
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(back.tensors, expected);
        assert_eq!(back.metadata, metadata);
    }

    #[test]
    fn header_is_plain_safetensors() {
        let bytes = encode_safetensors(&sample()[..1], &BTreeMap::new()).unwrap();
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(header).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({ "w": { "dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24] } }),
            "{header}"
        );
        assert_eq!(bytes.len(), 8 + n + 24);
    }

    #[test]
    fn garbage_and_truncation_are_format_errors() {
        let bytes = encode_safetensors(&sample(), &BTreeMap::new()).unwrap();
        let err = decode_safetensors(&bytes[..bytes.len() - 3], Path::new("cut.safetensors"))
            .unwrap_err();
        assert!(err.is_corruption());
        assert!(err.to_string().contains("cut.safetensors"), "{err}");
        assert!(decode_safetensors(b"not a file", Path::new("x")).is_err());
    }

    #[test]
    fn other_dtypes_are_rejected() {
        let data = [0u8; 4];
        let view = safetensors::tensor::TensorView::new(Dtype::I32, vec![1], &data).unwrap();
        let bytes = safetensors::serialize([("ints", view)], None).unwrap();
        let err = decode_safetensors(&bytes, Path::new("ints.safetensors")).unwrap_err();
        assert!(matches!(err, StoreError::WrongDtype { .. }), "{err}");
    }

    #[test]
    fn invalid_tensors_are_rejected_before_encoding() {
        let bad = NamedTensor { name: "w".into(), shape: vec![2], data: vec![1.0] };
        assert!(encode_safetensors(&[bad], &BTreeMap::new()).is_err());
    }
}
