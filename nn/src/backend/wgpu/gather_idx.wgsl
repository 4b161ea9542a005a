// dst[i] = src[order[u2 + i]] for i < u0, where src is the segment holding values
// u3 .. u3 + u4 of the whole data (u3 = 0, u4 = all when unsplit).
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    if (i >= p.u0) { return; }
    let e = order[p.u2 + i];
    if (e < p.u3 || e - p.u3 >= p.u4) { return; }
    dst[i] = src[e - p.u3];
}
