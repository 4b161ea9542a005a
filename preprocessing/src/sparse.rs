//! [`CsrMatrix`]: the compressed sparse row matrix that [`OneHotEncoder`](crate::OneHotEncoder)
//! (`sparse_output`) and the [`ColumnTransformer`](crate::ColumnTransformer) return, the
//! equivalent of the `scipy.sparse.csr_matrix` scikit-learn gives.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A compressed sparse row (CSR) `f64` matrix, laid out as scipy's `csr_matrix`: the non-zero
/// values of row `i` are `data[indptr[i]..indptr[i + 1]]`, in the columns
/// `indices[indptr[i]..indptr[i + 1]]` (strictly increasing within a row).
///
/// ```
/// use oxlearn_preprocessing::CsrMatrix;
/// let m = CsrMatrix::new((2, 3), vec![0, 1, 3], vec![2, 0, 1], vec![5.0, 1.0, 2.0]).unwrap();
/// assert_eq!(m.to_dense(), ndarray::array![[0.0, 0.0, 5.0], [1.0, 2.0, 0.0]]);
/// assert_eq!(m.nnz(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsrMatrix {
    shape: (usize, usize),
    indptr: Vec<usize>,
    indices: Vec<usize>,
    data: Vec<f64>,
}

impl CsrMatrix {
    /// A CSR matrix from its parts; `None` when they are inconsistent (`indptr` not of length
    /// `rows + 1`, not non-decreasing from 0 to `indices.len()`, `indices` and `data` of
    /// different lengths, a column index out of range or not increasing within a row).
    pub fn new(shape: (usize, usize), indptr: Vec<usize>, indices: Vec<usize>, data: Vec<f64>) -> Option<Self> {
        let ok = indptr.len() == shape.0 + 1
            && indptr.first() == Some(&0)
            && indptr.last() == Some(&indices.len())
            && indices.len() == data.len()
            && indptr.windows(2).all(|w| {
                w[0] <= w[1]
                    && indices[w[0]..w[1]].windows(2).all(|p| p[0] < p[1])
                    && indices[w[0]..w[1]].iter().all(|&c| c < shape.1)
            });
        ok.then_some(CsrMatrix { shape, indptr, indices, data })
    }

    /// Builds from parts known to be consistent.
    pub(crate) fn from_parts(shape: (usize, usize), indptr: Vec<usize>, indices: Vec<usize>, data: Vec<f64>) -> Self {
        debug_assert_eq!(indptr.len(), shape.0 + 1);
        debug_assert_eq!(indices.len(), data.len());
        CsrMatrix { shape, indptr, indices, data }
    }

    /// `(rows, columns)`.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.shape.0
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.shape.1
    }
    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }
    /// Row pointers (`rows + 1` entries).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }
    /// Column index of each stored value.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
    /// The stored values.
    pub fn data(&self) -> &[f64] {
        &self.data
    }
    /// The stored `(column, value)` pairs of row `i`.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.indptr[i]..self.indptr[i + 1];
        self.indices[r.clone()].iter().copied().zip(self.data[r].iter().copied())
    }
    /// The dense matrix.
    pub fn to_dense(&self) -> Array2<f64> {
        let mut out = Array2::zeros(self.shape);
        for (i, mut row) in out.rows_mut().into_iter().enumerate() {
            for (j, v) in self.row(i) {
                row[j] = v;
            }
        }
        out
    }
}
