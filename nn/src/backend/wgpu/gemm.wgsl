// C = f0 op(A) op(B) + f1 C with op(A) m x k, op(B) k x n, C m x n, all row-major.
// u0 = m, u1 = n, u2 = k, u3 = A transposed, u4 = B transposed.
// 64 x 64 output tiles per 256-thread workgroup, 16-deep k slices staged in workgroup memory,
// 4 x 4 outputs per thread in registers. Edges are zero-padded on load and masked on store,
// so any shape works.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TM: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> As: array<f32, 1024>; // [kk * 64 + row]
var<workgroup> Bs: array<f32, 1024>; // [kk * 64 + col]

fn load_a(row: u32, kk: u32) -> f32 {
    if (row >= p.u0 || kk >= p.u2) { return 0.0; }
    if (p.u3 == 0u) { return a[row * p.u2 + kk]; }
    return a[kk * p.u0 + row];
}

fn load_b(kk: u32, col: u32) -> f32 {
    if (kk >= p.u2 || col >= p.u1) { return 0.0; }
    if (p.u4 == 0u) { return b[kk * p.u1 + col]; }
    return b[col * p.u2 + kk];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let row0 = wg.y * TM;
    let col0 = wg.x * TM;
    let tid = l.y * 16u + l.x;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }
    for (var k0 = 0u; k0 < p.u2; k0 += TK) {
        for (var e = 0u; e < 4u; e++) {
            let idx = tid + e * 256u;
            // Walk memory contiguously for each storage order.
            var r: u32; var ka: u32;
            if (p.u3 == 0u) { r = idx / TK; ka = idx % TK; } else { r = idx % TM; ka = idx / TM; }
            As[ka * TM + r] = load_a(row0 + r, k0 + ka);
            var cc: u32; var kb: u32;
            if (p.u4 == 0u) { kb = idx / TM; cc = idx % TM; } else { cc = idx / TK; kb = idx % TK; }
            Bs[kb * TM + cc] = load_b(k0 + kb, col0 + cc);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let bv = vec4<f32>(Bs[kk * TM + l.x * 4u], Bs[kk * TM + l.x * 4u + 1u],
                               Bs[kk * TM + l.x * 4u + 2u], Bs[kk * TM + l.x * 4u + 3u]);
            for (var i = 0u; i < 4u; i++) {
                acc[i] = fma(vec4<f32>(As[kk * TM + l.y * 4u + i]), bv, acc[i]);
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + l.y * 4u + i;
        if (r >= p.u0) { continue; }
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + l.x * 4u + j;
            if (col >= p.u1) { continue; }
            var v = p.f0 * acc[i][j];
            if (p.f1 != 0.0) { v += p.f1 * c[r * p.u1 + col]; }
            c[r * p.u1 + col] = v;
        }
    }
}
