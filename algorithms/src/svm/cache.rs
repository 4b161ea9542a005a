//! A bounded least-recently-used cache of kernel rows, as libsvm's `Cache`: each row holds a
//! prefix of its entries (as long as the solver's active set asked for), rows are evicted
//! oldest-first when the byte budget is spent, and `swap_index` follows the solver's
//! permutations.

const NONE: usize = usize::MAX;

#[derive(Debug)]
pub(crate) struct Cache {
    /// Free room, in `f32` entries.
    size: usize,
    /// Cached prefix of each row (empty when not cached).
    data: Vec<Vec<f32>>,
    /// Doubly linked LRU list; node `l` is the sentinel (its `next` is the oldest row).
    prev: Vec<usize>,
    next: Vec<usize>,
}

impl Cache {
    /// A cache for `l` rows of at most `l` entries within `bytes` bytes (at least two full rows).
    pub fn new(l: usize, bytes: usize) -> Self {
        let entries = bytes / std::mem::size_of::<f32>();
        let overhead =
            l * (std::mem::size_of::<Vec<f32>>() + 2 * std::mem::size_of::<usize>()) / std::mem::size_of::<f32>();
        let size = entries.saturating_sub(overhead).max(2 * l);
        let mut prev = vec![NONE; l + 1];
        let mut next = vec![NONE; l + 1];
        prev[l] = l;
        next[l] = l;
        Cache { size, data: vec![Vec::new(); l], prev, next }
    }

    fn sentinel(&self) -> usize {
        self.data.len()
    }

    fn lru_delete(&mut self, i: usize) {
        let (p, n) = (self.prev[i], self.next[i]);
        self.next[p] = n;
        self.prev[n] = p;
        self.prev[i] = NONE;
        self.next[i] = NONE;
    }

    fn lru_insert(&mut self, i: usize) {
        // Insert as the most recent (just before the sentinel).
        let h = self.sentinel();
        let last = self.prev[h];
        self.next[i] = h;
        self.prev[i] = last;
        self.next[last] = i;
        self.prev[h] = i;
    }

    fn free(&mut self, i: usize) {
        self.size += self.data[i].len();
        self.data[i] = Vec::new();
    }

    /// Makes row `i` hold at least `len` entries and marks it most recent. Returns the number of
    /// entries that were already valid (`len` when nothing needs computing); the caller fills
    /// the rest through [`row_mut`](Self::row_mut).
    pub fn get_data(&mut self, i: usize, len: usize) -> usize {
        let cur = self.data[i].len();
        if cur > 0 {
            self.lru_delete(i);
        }
        let start = if len > cur {
            let more = len - cur;
            while self.size < more {
                let old = self.next[self.sentinel()];
                debug_assert!(old != self.sentinel(), "cache holds at least two rows");
                self.lru_delete(old);
                self.free(old);
            }
            self.data[i].resize(len, 0.0);
            self.size -= more;
            cur
        } else {
            len
        };
        self.lru_insert(i);
        start
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i]
    }

    /// Follows a swap of positions `i` and `j` in the solver (libsvm's `Cache::swap_index`).
    pub fn swap_index(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        let ci = !self.data[i].is_empty();
        let cj = !self.data[j].is_empty();
        if ci {
            self.lru_delete(i);
        }
        if cj {
            self.lru_delete(j);
        }
        self.data.swap(i, j);
        if cj {
            self.lru_insert(i);
        }
        if ci {
            self.lru_insert(j);
        }
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        let h = self.sentinel();
        let mut node = self.next[h];
        while node != h {
            let following = self.next[node];
            let len = self.data[node].len();
            if len > a {
                if len > b {
                    self.data[node].swap(a, b);
                } else {
                    // The row does not reach `b`: drop it, as libsvm does.
                    self.lru_delete(node);
                    self.free(node);
                }
            }
            node = following;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recent_and_follows_swaps() {
        // Room for exactly two rows of 4 entries.
        let mut c = Cache { size: 8, data: vec![Vec::new(); 4], prev: vec![NONE; 5], next: vec![NONE; 5] };
        c.prev[4] = 4;
        c.next[4] = 4;
        assert_eq!(c.get_data(0, 4), 0);
        c.row_mut(0).copy_from_slice(&[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(c.get_data(1, 4), 0);
        c.row_mut(1).copy_from_slice(&[10.0, 11.0, 12.0, 13.0]);
        assert_eq!(c.get_data(0, 4), 4);
        // Row 1 is now the oldest and is evicted for row 2.
        assert_eq!(c.get_data(2, 4), 0);
        assert!(c.row(1).is_empty());
        assert_eq!(c.row(0), &[0.0, 1.0, 2.0, 3.0]);
        c.swap_index(0, 3);
        assert_eq!(c.row(3), &[3.0, 1.0, 2.0, 0.0]);
        assert!(c.row(0).is_empty());
        // A shorter prefix is kept and extended on demand.
        assert_eq!(c.get_data(3, 2), 2);
    }
}
