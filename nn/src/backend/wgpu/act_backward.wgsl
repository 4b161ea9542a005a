// delta[i] *= act_u2'(a[i]) for i < u0 (the derivative in terms of the activation).
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> delta: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    if (i >= p.u0) { return; }
    if (p.u2 == 3u) {
        if (a[i] <= 0.0) { delta[i] = 0.0; }
    } else {
        delta[i] *= act_deriv(p.u2, a[i]);
    }
}
