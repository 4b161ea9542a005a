// C = f0 op(A) op(B) + f1 C with op(A) m x k, op(B) k x n, C m x n, all row-major.
// u0 = m, u1 = n, u2 = k. The register-blocked kernel without workgroup memory: each invocation
// computes RM rows x 4 columns of C in registers (RM / 4 ... RM vec4 accumulators), reading its
// operands as vec4 straight from the storage buffers (the caches serve the reuse).
//
// The host prepends `const TA: bool`, `const TB: bool` (operand transposed) and `const RM: u32`
// (4 or 8), and picks this kernel only where every vec4 load is aligned and whole:
// n % 4 == 0 always; k % 4 == 0 when A is not transposed or B is; m % 4 == 0 when A is
// transposed. Rows past m are clamped on load and masked on store; k needs a guarded tail only
// when A is transposed and B is not (k is then a row count of both operands).
//
// Split-K: u5 = splits S, u6 = invocation rows per split (a multiple of 16), u7 = k per split
// (a multiple of 4). With S > 1, the invocation rows g.y = split * u6 + row block, each split
// sums its k range and writes the unscaled partial to part[split][m][n]; gemm_reduce.wgsl
// then adds the S partials into C (alpha, beta). With S == 1, C is written here.
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> part: array<vec4<f32>>;

// Adds A(rows r0.., k0 + kk) * B(k0 + kk, cols 4 c4..) for the kk < nk (nk <= 4) to acc.
fn step(acc: ptr<function, array<vec4<f32>, RM>>, r0: u32, c4: u32, k0: u32, nk: u32) {
    let m = p.u0;
    let n4 = p.u1 / 4u;
    let k = p.u2;
    // B block: bk[kk] = B(k0 + kk, 4 c4 .. 4 c4 + 3).
    var bk: array<vec4<f32>, 4>;
    if (TB) {
        // B stored n x k (k % 4 == 0, so nk == 4): one vec4 of k per column, transposed in
        // registers.
        let k4 = k / 4u;
        let q0 = b[(4u * c4) * k4 + k0 / 4u];
        let q1 = b[(4u * c4 + 1u) * k4 + k0 / 4u];
        let q2 = b[(4u * c4 + 2u) * k4 + k0 / 4u];
        let q3 = b[(4u * c4 + 3u) * k4 + k0 / 4u];
        bk[0] = vec4<f32>(q0.x, q1.x, q2.x, q3.x);
        bk[1] = vec4<f32>(q0.y, q1.y, q2.y, q3.y);
        bk[2] = vec4<f32>(q0.z, q1.z, q2.z, q3.z);
        bk[3] = vec4<f32>(q0.w, q1.w, q2.w, q3.w);
    } else {
        for (var kk = 0u; kk < 4u; kk++) {
            let kr = min(k0 + kk, k - 1u);
            bk[kk] = select(vec4<f32>(0.0), b[kr * n4 + c4], kk < nk);
        }
    }
    if (TA) {
        // A stored k x m (m % 4 == 0): a vec4 of 4 rows per k.
        let m4 = m / 4u;
        for (var ib = 0u; ib < RM / 4u; ib++) {
            let rc = min(r0 / 4u + ib, m4 - 1u);
            for (var kk = 0u; kk < 4u; kk++) {
                let kr = min(k0 + kk, k - 1u);
                let av = select(vec4<f32>(0.0), a[kr * m4 + rc], kk < nk);
                (*acc)[4u * ib] = fma(vec4<f32>(av.x), bk[kk], (*acc)[4u * ib]);
                (*acc)[4u * ib + 1u] = fma(vec4<f32>(av.y), bk[kk], (*acc)[4u * ib + 1u]);
                (*acc)[4u * ib + 2u] = fma(vec4<f32>(av.z), bk[kk], (*acc)[4u * ib + 2u]);
                (*acc)[4u * ib + 3u] = fma(vec4<f32>(av.w), bk[kk], (*acc)[4u * ib + 3u]);
            }
        }
    } else {
        // A stored m x k (k % 4 == 0, so nk == 4): a vec4 of 4 k per row.
        let k4 = k / 4u;
        for (var i = 0u; i < RM; i++) {
            let r = min(r0 + i, m - 1u);
            let av = a[r * k4 + k0 / 4u];
            var s = fma(vec4<f32>(av.x), bk[0], (*acc)[i]);
            s = fma(vec4<f32>(av.y), bk[1], s);
            s = fma(vec4<f32>(av.z), bk[2], s);
            (*acc)[i] = fma(vec4<f32>(av.w), bk[3], s);
        }
    }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let m = p.u0;
    let n4 = p.u1 / 4u;
    let k = p.u2;
    let c4 = g.x;
    let splits = p.u5;
    let split = g.y / p.u6;
    let r0 = (g.y - split * p.u6) * RM;
    if (c4 >= n4 || r0 >= m || split >= splits) { return; }
    let kb = split * p.u7;
    let ke = min(k, kb + p.u7);
    var acc: array<vec4<f32>, RM>;
    for (var i = 0u; i < RM; i++) { acc[i] = vec4<f32>(0.0); }
    var k0 = kb;
    for (; k0 + 4u <= ke; k0 += 4u) {
        step(&acc, r0, c4, k0, 4u);
    }
    if (k0 < ke) {
        step(&acc, r0, c4, k0, ke - k0);
    }
    if (splits > 1u) {
        let base = split * m * n4;
        for (var i = 0u; i < RM; i++) {
            let r = r0 + i;
            if (r >= m) { break; }
            part[base + r * n4 + c4] = acc[i];
        }
        return;
    }
    for (var i = 0u; i < RM; i++) {
        let r = r0 + i;
        if (r >= m) { break; }
        var v = p.f0 * acc[i];
        if (p.f1 != 0.0) { v += p.f1 * c[r * n4 + c4]; }
        c[r * n4 + c4] = v;
    }
}
