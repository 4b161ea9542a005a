//! The workgroup-tiled GEMM for large products: WGSL generated per tile shape and transpose
//! flags, with every loop over the tile unrolled into straight-line code (named accumulator
//! registers, no arrays), so the driver's compiler keeps the whole output block in registers
//! whatever it decides about loops.
//!
//! One workgroup of `(bn / tn) x (bm / tm)` invocations computes a `bm x bn` block of C; each
//! invocation `tm x tn` outputs (`tn / 4` vec4 columns). The k range advances `bk` at a time:
//! the workgroup stages op(A)'s `bm x bk` and op(B)'s `bk x bn` slices in workgroup memory, both
//! stored k-major (one row of the slice per k, padded by one vec4 so the transposing stores of a
//! row-major A or a transposed B spread over the memory banks), and each invocation reads vec4
//! fragments of both per k. The next slices' global loads are issued into registers before the
//! current slices are multiplied, so their latency hides behind the arithmetic.
//!
//! Invocation `(tx, ty)` owns the rows `4 (g wy + ty) + 0..4` for `g < tm / 4` and the columns
//! `4 (h wx + tx) + 0..4` for `h < tn / 4` of its block: neighbouring invocations read
//! neighbouring vec4 of workgroup memory (no bank conflicts) and write neighbouring vec4 of C.
//!
//! Shapes: the same alignment as the register-blocked kernel (`n % 4 == 0`; `k % 4 == 0` when
//! A is not transposed or B is; `m % 4 == 0` when A is transposed; see `gemm_vec_fits`). Rows
//! and columns past the edges are clamped on load and masked on store, and k values past the
//! end of a slice are loaded as zeros, so any such shape works.
//!
//! Uniforms (common.wgsl's block): u0 = m, u1 = n, u2 = k, u5 = k splits S, u6 = row blocks per
//! split, u7 = k values per split (a multiple of `bk`); f0 = alpha, f1 = beta. With S > 1 each
//! split writes its unscaled partial block to `part[split][m][n]` for `gemm_reduce.wgsl`.

use std::fmt::Write;

/// One tiled-GEMM shape: the workgroup's output block `bm x bn`, the k slice `bk`, and each
/// invocation's `tm x tn` outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileShape {
    /// Rows of C per workgroup.
    pub bm: u32,
    /// Columns of C per workgroup.
    pub bn: u32,
    /// k values staged per step.
    pub bk: u32,
    /// Rows per invocation (a multiple of 4).
    pub tm: u32,
    /// Columns per invocation (a multiple of 4).
    pub tn: u32,
}

impl TileShape {
    /// 128 x 128 blocks, 16-deep k slices, 8 x 8 outputs per invocation (256 invocations).
    pub const T128: TileShape = TileShape { bm: 128, bn: 128, bk: 16, tm: 8, tn: 8 };
    /// 64 x 64 blocks, 16-deep k slices, 4 x 4 outputs per invocation (256 invocations).
    pub const T64: TileShape = TileShape { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };

    /// Invocations per workgroup in x (columns) and y (rows).
    pub fn threads(&self) -> (u32, u32) {
        (self.bn / self.tn, self.bm / self.tm)
    }

    /// Whether the shape is one this generator supports: multiples of 4 everywhere, the
    /// invocations (at most 256) dividing both slices' vec4 evenly.
    pub fn is_valid(&self) -> bool {
        let all4 = [self.bm, self.bn, self.bk, self.tm, self.tn].iter().all(|v| *v > 0 && v.is_multiple_of(4));
        if !all4 || !self.bm.is_multiple_of(self.tm) || !self.bn.is_multiple_of(self.tn) {
            return false;
        }
        let (wx, wy) = self.threads();
        let t = wx * wy;
        (1..=256).contains(&t) && (self.bm * self.bk / 4).is_multiple_of(t) && (self.bn * self.bk / 4).is_multiple_of(t)
    }
}

/// The kernel body (after common.wgsl) for `shape` with op(A) / op(B) transposed as given.
pub fn source(shape: TileShape, ta: bool, tb: bool) -> String {
    assert!(shape.is_valid(), "invalid GEMM tile shape {shape:?}");
    let TileShape { bm, bn, bk, tm, tn } = shape;
    let (wx, wy) = shape.threads();
    let t = wx * wy;
    let (sa, sb) = (bm / 4 + 1, bn / 4 + 1);
    let (la, lb) = (bm * bk / 4 / t, bn * bk / 4 / t);
    let (gm, gn) = (tm / 4, tn / 4);
    let xyzw = ["x", "y", "z", "w"];
    let mut s = String::new();
    let w = &mut s;
    // Writing to a String cannot fail.
    macro_rules! line {
        ($($arg:tt)*) => { writeln!(w, $($arg)*).expect("write to String") };
    }
    line!("@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;");
    line!("@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;");
    line!("@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;");
    line!("@group(0) @binding(4) var<storage, read_write> part: array<vec4<f32>>;");
    line!("var<workgroup> As: array<vec4<f32>, {}>;", bk * sa);
    line!("var<workgroup> Bs: array<vec4<f32>, {}>;", bk * sb);
    line!("@compute @workgroup_size({wx}, {wy})");
    line!("fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {{");
    line!("    let m = p.u0; let n = p.u1; let k = p.u2; let n4 = n / 4u;");
    line!("    let split = wg.y / p.u6;");
    line!("    let m0 = (wg.y - split * p.u6) * {bm}u;");
    line!("    let n0 = wg.x * {bn}u;");
    line!("    let kb = split * p.u7;");
    line!("    let ke = min(k, kb + p.u7);");
    line!("    let tx = l.x; let ty = l.y; let t = ty * {wx}u + tx;");
    for i in 0..tm {
        for h in 0..gn {
            line!("    var c{i}_{h} = vec4<f32>(0.0);");
        }
    }
    for l in 0..la {
        line!("    var ga{l} = vec4<f32>(0.0);");
    }
    for l in 0..lb {
        line!("    var gb{l} = vec4<f32>(0.0);");
    }
    // Global loads of the slices starting at k0 into ga / gb (zeros past ke; indices clamped so
    // every load is in bounds).
    let mut loads = String::new();
    for l in 0..la {
        let v = format!("(t + {}u)", l * t);
        if ta {
            // A stored k x m: slice vec4 v = (kk, m4) with m4 fastest.
            let _ = writeln!(
                loads,
                "        {{ let kk = k0 + {v} / {q}u; let m4 = min(m0 / 4u + {v} % {q}u, m / 4u - 1u); \
                 ga{l} = select(vec4<f32>(0.0), a[min(kk, k - 1u) * (m / 4u) + m4], kk < ke); }}",
                q = bm / 4
            );
        } else {
            // A stored m x k: slice vec4 v = (row, k4) with k4 fastest.
            let _ = writeln!(
                loads,
                "        {{ let r = min(m0 + {v} / {q}u, m - 1u); let kq = k0 / 4u + {v} % {q}u; \
                 ga{l} = select(vec4<f32>(0.0), a[r * (k / 4u) + min(kq, k / 4u - 1u)], 4u * kq < ke); }}",
                q = bk / 4
            );
        }
    }
    for l in 0..lb {
        let v = format!("(t + {}u)", l * t);
        if tb {
            // B stored n x k: slice vec4 v = (col, k4) with k4 fastest.
            let _ = writeln!(
                loads,
                "        {{ let r = min(n0 + {v} / {q}u, n - 1u); let kq = k0 / 4u + {v} % {q}u; \
                 gb{l} = select(vec4<f32>(0.0), b[r * (k / 4u) + min(kq, k / 4u - 1u)], 4u * kq < ke); }}",
                q = bk / 4
            );
        } else {
            // B stored k x n: slice vec4 v = (kk, n4) with n4 fastest.
            let _ = writeln!(
                loads,
                "        {{ let kk = k0 + {v} / {q}u; let c4 = min(n0 / 4u + {v} % {q}u, n4 - 1u); \
                 gb{l} = select(vec4<f32>(0.0), b[min(kk, k - 1u) * n4 + c4], kk < ke); }}",
                q = bn / 4
            );
        }
    }
    // Stores of ga / gb into the k-major workgroup slices.
    let mut stores = String::new();
    for l in 0..la {
        let v = format!("(t + {}u)", l * t);
        if ta {
            let _ = writeln!(stores, "        As[({v} / {q}u) * {sa}u + {v} % {q}u] = ga{l};", q = bm / 4);
        } else {
            let _ = writeln!(stores, "        {{ let r = {v} / {q}u; let kq = {v} % {q}u;", q = bk / 4);
            for (e, comp) in xyzw.iter().enumerate() {
                let _ = writeln!(stores, "          As[(4u * kq + {e}u) * {sa}u + r / 4u][r % 4u] = ga{l}.{comp};");
            }
            let _ = writeln!(stores, "        }}");
        }
    }
    for l in 0..lb {
        let v = format!("(t + {}u)", l * t);
        if tb {
            let _ = writeln!(stores, "        {{ let r = {v} / {q}u; let kq = {v} % {q}u;", q = bk / 4);
            for (e, comp) in xyzw.iter().enumerate() {
                let _ = writeln!(stores, "          Bs[(4u * kq + {e}u) * {sb}u + r / 4u][r % 4u] = gb{l}.{comp};");
            }
            let _ = writeln!(stores, "        }}");
        } else {
            let _ = writeln!(stores, "        Bs[({v} / {q}u) * {sb}u + {v} % {q}u] = gb{l};", q = bn / 4);
        }
    }
    line!("    if (kb < ke) {{");
    line!("        let k0 = kb;");
    w.push_str(&loads);
    w.push_str(&stores);
    line!("    }}");
    line!("    workgroupBarrier();");
    line!("    for (var k0 = kb; k0 < ke; k0 += {bk}u) {{");
    line!("      let kn = k0 + {bk}u;");
    line!("      if (kn < ke) {{");
    line!("        let k0 = kn;");
    w.push_str(&loads);
    line!("      }}");
    for kk in 0..bk {
        line!("      {{");
        for g in 0..gm {
            line!("        let a{g} = As[{}u + {}u + ty];", kk * sa, g * wy);
        }
        for h in 0..gn {
            line!("        let b{h} = Bs[{}u + {}u + tx];", kk * sb, h * wx);
        }
        for g in 0..gm {
            for (e, comp) in xyzw.iter().enumerate() {
                let i = 4 * g + e as u32;
                for h in 0..gn {
                    line!("        c{i}_{h} = fma(vec4<f32>(a{g}.{comp}), b{h}, c{i}_{h});");
                }
            }
        }
        line!("      }}");
    }
    line!("      workgroupBarrier();");
    line!("      if (kn < ke) {{");
    w.push_str(&stores);
    line!("      }}");
    line!("      workgroupBarrier();");
    line!("    }}");
    // Epilogue: partial sums for the reduce pass, or alpha / beta into C.
    line!("    let splits = p.u5;");
    for i in 0..tm {
        let (g, e) = (i / 4, i % 4);
        line!("    {{ let r = m0 + 4u * ({}u + ty) + {e}u;", g * wy);
        line!("      if (r < m) {{");
        for h in 0..gn {
            line!("        {{ let c4 = n0 / 4u + {}u + tx;", h * wx);
            line!("          if (c4 < n4) {{");
            line!("            if (splits > 1u) {{ part[(split * m + r) * n4 + c4] = c{i}_{h}; }}");
            line!(
                "            else {{ var v = p.f0 * c{i}_{h}; if (p.f1 != 0.0) {{ v += p.f1 * c[r * n4 + c4]; }} c[r * n4 + c4] = v; }}"
            );
            line!("          }}");
            line!("        }}");
        }
        line!("      }}");
        line!("    }}");
    }
    line!("}}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_validate() {
        assert!(TileShape::T128.is_valid());
        assert!(TileShape::T64.is_valid());
        assert!(!TileShape { bm: 128, bn: 128, bk: 16, tm: 2, tn: 2 }.is_valid(), "4096 invocations");
        assert!(!TileShape { bm: 64, bn: 64, bk: 6, tm: 4, tn: 4 }.is_valid(), "bk not a multiple of 4");
        assert!(!TileShape { bm: 64, bn: 64, bk: 16, tm: 0, tn: 4 }.is_valid(), "no rows per invocation");
    }
}
