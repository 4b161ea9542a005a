// z[r, c] = act_u2(z[r, c] + bias[c]) over u0 = rows * cols values, u1 = cols.
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    if (i >= p.u0) { return; }
    z[i] = act_apply(p.u2, z[i] + bias[i % p.u1]);
}
