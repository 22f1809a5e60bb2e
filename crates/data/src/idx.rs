//! The IDX format of MNIST-like data sets: a big-endian header (magic `0x0000080N` for
//! unsigned bytes with N dimensions, then N sizes as u32) followed by the data, row-major.
//! Files ending in `.gz` are gunzipped on the fly.
//!
//! ```
//! use goldilocks_data::{read_idx, write_idx, IdxArray};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("labels-idx1-ubyte.gz");
//! let array = IdxArray { dims: vec![3], data: vec![0, 9, 4] };
//! write_idx(&path, &array).unwrap();
//! assert_eq!(read_idx(&path).unwrap(), array);
//! ```

use std::io::{Read, Write};
use std::path::Path;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::DataError;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The sizes of the dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The elements, row-major; as many as the product of `dims`.
    pub data: Vec<u8>,
}

/// The magic number of an unsigned-byte IDX file with `dims` dimensions.
fn magic(dims: usize) -> u32 {
    0x0800 | dims as u32
}

/// Reads the unsigned-byte IDX file at `path` (gzip when the name ends in `.gz`), checking
/// its magic number and that it holds exactly the bytes its header announces.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    if is_gzip(path) {
        GzDecoder::new(file).read_to_end(&mut bytes).map_err(io)?;
    } else {
        std::io::BufReader::new(file).read_to_end(&mut bytes).map_err(io)?;
    }
    parse_idx(&bytes, path)
}

/// Parses IDX bytes; `path` names the file in errors.
fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray, DataError> {
    let word = |i: usize| {
        bytes.get(4 * i..4 * i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let truncated = |expected: usize| DataError::Truncated {
        path: path.to_path_buf(),
        expected,
        found: bytes.len(),
    };
    let found = word(0).ok_or_else(|| truncated(4))?;
    let ndims = (found & 0xff) as usize;
    if found & 0xffff_ff00 != 0x0800 || ndims == 0 {
        return Err(DataError::BadMagic { path: path.to_path_buf(), found });
    }
    let header = 4 * (1 + ndims);
    let dims: Vec<usize> = (1..=ndims)
        .map(|i| word(i).map(|d| d as usize))
        .collect::<Option<_>>()
        .ok_or_else(|| truncated(header))?;
    let expected = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).ok_or_else(|| {
        DataError::WrongDims {
            path: path.to_path_buf(),
            found: dims.clone(),
            expected: "sizes whose product fits in memory".into(),
        }
    })?;
    let data = &bytes[header..];
    if data.len() != expected {
        return Err(DataError::Truncated { path: path.to_path_buf(), expected, found: data.len() });
    }
    Ok(IdxArray { dims, data: data.to_vec() })
}

/// Writes `array` as an unsigned-byte IDX file (gzip when the name ends in `.gz`); for tests
/// and small derived data sets.
pub fn write_idx(path: &Path, array: &IdxArray) -> Result<(), DataError> {
    let io = |source| DataError::Io { path: path.to_path_buf(), source };
    let mut bytes = magic(array.dims.len()).to_be_bytes().to_vec();
    for &d in &array.dims {
        bytes.extend((d as u32).to_be_bytes());
    }
    bytes.extend(&array.data);
    if is_gzip(path) {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&bytes).map_err(io)?;
        bytes = encoder.finish().map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let array = IdxArray { dims: vec![2, 3, 2], data: (0..12).collect() };
        for name in ["a-idx3-ubyte", "a-idx3-ubyte.gz"] {
            let path = dir.path().join(name);
            write_idx(&path, &array).unwrap();
            assert_eq!(read_idx(&path).unwrap(), array, "{name}");
        }
    }

    #[test]
    fn bad_magic_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad");
        std::fs::write(&path, [0, 0, 0x0d, 1, 0, 0, 0, 1, 7]).unwrap();
        let error = read_idx(&path).unwrap_err();
        assert!(matches!(error, DataError::BadMagic { found: 0x0d01, .. }), "{error}");
        assert!(error.to_string().contains("bad") && error.to_string().contains("magic"));
    }

    #[test]
    fn truncated_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short");
        std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 5, 1, 2]).unwrap();
        let error = read_idx(&path).unwrap_err();
        assert!(matches!(error, DataError::Truncated { expected: 5, found: 2, .. }), "{error}");
        std::fs::write(&path, [0, 0, 8, 3, 0, 0]).unwrap();
        assert!(matches!(read_idx(&path).unwrap_err(), DataError::Truncated { .. }));
        std::fs::write(&path, []).unwrap();
        assert!(matches!(read_idx(&path).unwrap_err(), DataError::Truncated { .. }));
    }

    #[test]
    fn corrupt_gzip_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.gz");
        std::fs::write(&path, b"not gzip at all").unwrap();
        let error = read_idx(&path).unwrap_err();
        assert!(matches!(error, DataError::Io { .. }));
        assert!(error.to_string().contains("broken.gz"));
    }
}
