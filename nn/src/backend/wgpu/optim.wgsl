// Fused optimizer updates over u0 parameters. u5 = 0: Adam (f0 lr, f1 beta_1, f2 beta_2,
// f3 epsilon; s1 = m, s2 = v). u5 = 1: SGD (f0 lr, f1 momentum, u1 Nesterov; s1 = velocity).
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> s1: array<f32>;
@group(0) @binding(4) var<storage, read_write> s2: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat_index(g, nw);
    if (i >= p.u0) { return; }
    let gi = grad[i];
    if (p.u5 == 0u) {
        let mi = p.f1 * s1[i] + (1.0 - p.f1) * gi;
        let vi = p.f2 * s2[i] + (1.0 - p.f2) * gi * gi;
        s1[i] = mi;
        s2[i] = vi;
        param[i] -= p.f0 * mi / (sqrt(vi) + p.f3);
    } else {
        let v = p.f1 * s1[i] - p.f0 * gi;
        s1[i] = v;
        if (p.u1 != 0u) { param[i] += p.f1 * v - p.f0 * gi; } else { param[i] += v; }
    }
}
