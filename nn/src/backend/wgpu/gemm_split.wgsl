// C = f0 op(A) op(B) + f1 C for any shape, one output per invocation, the k range split over
// u5 = S invocations (u7 values of k each): for the narrow or small products (an output layer
// of 10 classes, a weight gradient of a small layer) where the tiled and vec4 kernels would run
// too few invocations, each over a long k loop. u0 = m, u1 = n, u2 = k, u3 / u4 = op(A) / op(B)
// transposed. With S > 1 the unscaled partial sums go to part[split][m][n] (gemm_reduce.wgsl
// adds them into C); with S == 1, C is written here. Invocation (x, y): x = flat output index
// r * n + col within the split, y = the split.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let m = p.u0;
    let n = p.u1;
    let k = p.u2;
    let mn = m * n;
    // The flat output index over a 2-D grid of x workgroups, then the split.
    let flat = g.x + (g.y % p.u6) * nw.x * 256u;
    let split = g.y / p.u6;
    if (flat >= mn || split >= p.u5) { return; }
    let r = flat / n;
    let col = flat - r * n;
    let kb = split * p.u7;
    let ke = min(k, kb + p.u7);
    // Element strides of op(A)(r, kk) and op(B)(kk, col) in the stored operands.
    var sar = k;
    var sak = 1u;
    if (p.u3 != 0u) { sar = 1u; sak = m; }
    var sbk = n;
    var sbn = 1u;
    if (p.u4 != 0u) { sbk = 1u; sbn = k; }
    var s = 0.0;
    for (var kk = kb; kk < ke; kk++) {
        s = fma(a[r * sar + kk * sak], b[kk * sbk + col * sbn], s);
    }
    if (p.u5 > 1u) {
        part[split * mn + flat] = s;
        return;
    }
    var v = p.f0 * s;
    if (p.f1 != 0.0) { v += p.f1 * c[flat]; }
    c[flat] = v;
}
