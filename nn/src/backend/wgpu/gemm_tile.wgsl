// C = f0 op(A) op(B) + f1 C with op(A) m x k, op(B) k x n, C m x n, all row-major; u0 = m,
// u1 = n, u2 = k. The kernel for large products: each 16 x 16 workgroup computes a 128 x 128
// tile of C, 8 x 8 outputs per invocation held in registers, over k tiles of 16 staged through
// workgroup memory (every operand value is read from memory once per workgroup, then 8 times
// from workgroup memory: 64 FMAs per 4 vec4 reads).
//
// The host prepends `const TA: bool`, `const TB: bool` and picks this kernel only where the
// vec4 loads are aligned and whole (the conditions of gemm_vec.wgsl: n % 4 == 0; k % 4 == 0
// unless A is transposed and B is not; m % 4 == 0 when A is transposed). Split-K as in
// gemm_vec.wgsl: u5 = splits S, u6 = workgroup rows per split, u7 = k per split (a multiple
// of 16); S > 1 writes unscaled partials to part[split][m][n] for gemm_reduce.wgsl.
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> part: array<vec4<f32>>;

// The k tile: as_[kk][i] = op(A)(row0 + 4 i .. +3, k0 + kk) and bs[kk][j] = op(B)(k0 + kk,
// col0 + 4 j .. +3), 32 vec4 per kk.
var<workgroup> as_: array<array<vec4<f32>, 32>, 16>;
var<workgroup> bs: array<array<vec4<f32>, 32>, 16>;

// op(A)(r, kq .. kq + 3) as a vec4 when A is m x k (kq % 4 == 0), zero outside.
fn a_rowk(r: u32, kq: u32, ke: u32) -> vec4<f32> {
    let m = p.u0;
    let k = p.u2;
    if (r >= m || kq >= ke) { return vec4<f32>(0.0); }
    return a[(r * k + kq) / 4u];
}

// op(B)(kq .. kq + 3, col) as a vec4 when B is stored n x k (TB), zero outside.
fn b_colk(col: u32, kq: u32, ke: u32) -> vec4<f32> {
    let n = p.u1;
    let k = p.u2;
    if (col >= n || kq >= ke) { return vec4<f32>(0.0); }
    return b[(col * k + kq) / 4u];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = p.u0;
    let n = p.u1;
    let k = p.u2;
    let n4 = n / 4u;
    let m4 = m / 4u;
    let splits = p.u5;
    let split = wg.y / p.u6;
    let row0 = (wg.y - split * p.u6) * 128u;
    let col0 = wg.x * 128u;
    let kb = min(k, split * p.u7);
    let ke = min(k, kb + p.u7);
    let t = lid.y * 16u + lid.x;
    var acc: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i++) { acc[i] = vec4<f32>(0.0); }

    for (var k0 = kb; k0 < ke; k0 += 16u) {
        // Stage A: 128 rows x 16 k.
        if (TA) {
            // A stored k x m: k row kk = t / 16, 8 consecutive rows of op(A) from 8 (t % 16).
            let kk = t / 16u;
            let kr = k0 + kk;
            for (var h = 0u; h < 2u; h++) {
                let q = (t % 16u) * 2u + h;
                let r4 = row0 / 4u + q;
                var v = vec4<f32>(0.0);
                if (kr < ke && r4 < m4) { v = a[kr * m4 + r4]; }
                as_[kk][q] = v;
            }
        } else {
            // A stored m x k: row t / 2, 8 k values from 8 (t % 2), transposed into as_.
            let r = row0 + t / 2u;
            let kq = (t % 2u) * 8u;
            let v0 = a_rowk(r, k0 + kq, ke);
            let v1 = a_rowk(r, k0 + kq + 4u, ke);
            let q = (t / 2u) / 4u;
            let lane = (t / 2u) % 4u;
            as_[kq][q][lane] = v0.x;
            as_[kq + 1u][q][lane] = v0.y;
            as_[kq + 2u][q][lane] = v0.z;
            as_[kq + 3u][q][lane] = v0.w;
            as_[kq + 4u][q][lane] = v1.x;
            as_[kq + 5u][q][lane] = v1.y;
            as_[kq + 6u][q][lane] = v1.z;
            as_[kq + 7u][q][lane] = v1.w;
        }
        // Stage B: 16 k x 128 columns.
        if (TB) {
            // B stored n x k: column t / 2, 8 k values from 8 (t % 2).
            let col = col0 + t / 2u;
            let kq = (t % 2u) * 8u;
            let v0 = b_colk(col, k0 + kq, ke);
            let v1 = b_colk(col, k0 + kq + 4u, ke);
            let q = (t / 2u) / 4u;
            let lane = (t / 2u) % 4u;
            bs[kq][q][lane] = v0.x;
            bs[kq + 1u][q][lane] = v0.y;
            bs[kq + 2u][q][lane] = v0.z;
            bs[kq + 3u][q][lane] = v0.w;
            bs[kq + 4u][q][lane] = v1.x;
            bs[kq + 5u][q][lane] = v1.y;
            bs[kq + 6u][q][lane] = v1.z;
            bs[kq + 7u][q][lane] = v1.w;
        } else {
            // B stored k x n: k row t / 16, 8 consecutive columns from 8 (t % 16).
            let kk = t / 16u;
            let kr = k0 + kk;
            for (var h = 0u; h < 2u; h++) {
                let q = (t % 16u) * 2u + h;
                let c4 = col0 / 4u + q;
                var v = vec4<f32>(0.0);
                if (kr < ke && c4 < n4) { v = b[kr * n4 + c4]; }
                bs[kk][q] = v;
            }
        }
        workgroupBarrier();
        // This invocation's rows: row0 + 8 lid.y .. +7; columns: col0 + 8 lid.x .. +7.
        for (var kk = 0u; kk < 16u; kk++) {
            let a0 = as_[kk][2u * lid.y];
            let a1 = as_[kk][2u * lid.y + 1u];
            let b0 = bs[kk][2u * lid.x];
            let b1 = bs[kk][2u * lid.x + 1u];
            acc[0] = fma(vec4<f32>(a0.x), b0, acc[0]);
            acc[1] = fma(vec4<f32>(a0.x), b1, acc[1]);
            acc[2] = fma(vec4<f32>(a0.y), b0, acc[2]);
            acc[3] = fma(vec4<f32>(a0.y), b1, acc[3]);
            acc[4] = fma(vec4<f32>(a0.z), b0, acc[4]);
            acc[5] = fma(vec4<f32>(a0.z), b1, acc[5]);
            acc[6] = fma(vec4<f32>(a0.w), b0, acc[6]);
            acc[7] = fma(vec4<f32>(a0.w), b1, acc[7]);
            acc[8] = fma(vec4<f32>(a1.x), b0, acc[8]);
            acc[9] = fma(vec4<f32>(a1.x), b1, acc[9]);
            acc[10] = fma(vec4<f32>(a1.y), b0, acc[10]);
            acc[11] = fma(vec4<f32>(a1.y), b1, acc[11]);
            acc[12] = fma(vec4<f32>(a1.z), b0, acc[12]);
            acc[13] = fma(vec4<f32>(a1.z), b1, acc[13]);
            acc[14] = fma(vec4<f32>(a1.w), b0, acc[14]);
            acc[15] = fma(vec4<f32>(a1.w), b1, acc[15]);
        }
        workgroupBarrier();
    }
    // Store rows row0 + 8 lid.y + i, vec4 columns col0 / 4 + 2 lid.x + h.
    for (var i = 0u; i < 8u; i++) {
        let r = row0 + 8u * lid.y + i;
        if (r >= m) { break; }
        for (var h = 0u; h < 2u; h++) {
            let c4 = col0 / 4u + 2u * lid.x + h;
            if (c4 >= n4) { continue; }
            let v = acc[2u * i + h];
            if (splits > 1u) {
                part[split * m * n4 + r * n4 + c4] = v;
            } else {
                var o = p.f0 * v;
                if (p.f1 != 0.0) { o += p.f1 * c[r * n4 + c4]; }
                c[r * n4 + c4] = o;
            }
        }
    }
}
