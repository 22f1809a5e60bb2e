//! A named f32 tensor: the unit a checkpoint stores.
//!
//! Data are row-major (C order), as numpy and PyTorch expect; the shape is stored as given,
//! so a weight saved as `[out, in]` loads in Python as `[out, in]`.

use std::collections::HashSet;

use crate::StoreError;

/// A named, row-major f32 tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// The tensor's name, e.g. `student.w`; unique within a file.
    pub name: String,
    /// The shape; `[]` is a scalar (one element).
    pub shape: Vec<usize>,
    /// The elements in row-major order; as many as the shape's product.
    pub data: Vec<f32>,
}

impl NamedTensor {
    /// A tensor, checking that the name is not empty and `data` fits `shape`.
    pub fn new(
        name: impl Into<String>,
        shape: Vec<usize>,
        data: Vec<f32>,
    ) -> Result<Self, StoreError> {
        let tensor = Self { name: name.into(), shape, data };
        tensor.check()?;
        Ok(tensor)
    }

    /// The number of elements the shape calls for, or `None` on overflow.
    pub fn numel(&self) -> Option<usize> {
        self.shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Checks that the name is not empty and `data` has as many elements as the shape.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.name.is_empty() {
            return Err(self.invalid("the name must not be empty".into()));
        }
        match self.numel() {
            Some(n) if n == self.data.len() => Ok(()),
            Some(n) => Err(self.invalid(format!(
                "shape {:?} calls for {n} elements, data has {}",
                self.shape,
                self.data.len()
            ))),
            None => Err(self.invalid(format!("shape {:?} overflows", self.shape))),
        }
    }

    fn invalid(&self, problem: String) -> StoreError {
        StoreError::InvalidTensor { name: self.name.clone(), problem }
    }
}

/// Checks every tensor and that no two share a name.
pub(crate) fn check_all(tensors: &[NamedTensor]) -> Result<(), StoreError> {
    let mut names = HashSet::with_capacity(tensors.len());
    for tensor in tensors {
        tensor.check()?;
        if !names.insert(tensor.name.as_str()) {
            return Err(tensor.invalid("the name is used twice".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_shape_and_name() {
        assert!(NamedTensor::new("w", vec![2, 3], vec![0.0; 6]).is_ok());
        assert!(NamedTensor::new("scalar", vec![], vec![1.5]).is_ok());
        assert!(NamedTensor::new("empty", vec![0, 4], vec![]).is_ok());
        let err = NamedTensor::new("w", vec![2, 3], vec![0.0; 5]).unwrap_err();
        assert_eq!(err.to_string(), "tensor \"w\": shape [2, 3] calls for 6 elements, data has 5");
        assert!(NamedTensor::new("", vec![1], vec![0.0]).is_err());
        assert!(NamedTensor::new("huge", vec![usize::MAX, 2], vec![]).is_err());
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let a = NamedTensor::new("a", vec![1], vec![1.0]).unwrap();
        let err = check_all(&[a.clone(), a]).unwrap_err();
        assert!(err.to_string().contains("used twice"), "{err}");
    }
}
