// The second pass of a split-K GEMM: C[i] = f0 * sum_s part[s][i] + f1 * C[i] over u0 = m n
// values and u1 = S partials (summed in split order, so results do not depend on scheduling).
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    let total = p.u0;
    if (i >= total) { return; }
    var s = 0.0;
    for (var j = 0u; j < p.u1; j++) {
        s += part[j * total + i];
    }
    var v = p.f0 * s;
    if (p.f1 != 0.0) { v += p.f1 * c[i]; }
    c[i] = v;
}
