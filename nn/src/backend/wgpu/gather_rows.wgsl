// dst[r, c] = src[order[u2 + r], c] over u0 = rows * cols values, u1 = cols.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    if (i >= p.u0) { return; }
    let r = i / p.u1;
    let c = i - r * p.u1;
    dst[i] = src[order[p.u2 + r] * p.u1 + c];
}
