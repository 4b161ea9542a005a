// dst[r, c] = src[order[u2 + r], c] over u0 = rows * cols values, u1 = cols, where src is
// the segment holding values u3 .. u3 + u4 of the whole data (u3 = 0, u4 = all when unsplit);
// values outside the segment are left to the other segments' dispatches.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    if (i >= p.u0) { return; }
    let r = i / p.u1;
    let c = i - r * p.u1;
    let e = order[p.u2 + r] * p.u1 + c;
    if (e < p.u3 || e - p.u3 >= p.u4) { return; }
    dst[i] = src[e - p.u3];
}
