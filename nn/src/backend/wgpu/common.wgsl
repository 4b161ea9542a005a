// Shared by every oxlearn-nn kernel: one uniform block of sizes and scalars per dispatch
// (bound with a dynamic offset into a ring of such blocks).
struct Params {
    u0: u32, u1: u32, u2: u32, u3: u32,
    u4: u32, u5: u32, u6: u32, u7: u32,
    f0: f32, f1: f32, f2: f32, f3: f32,
    f4: f32, f5: f32, f6: f32, f7: f32,
}
@group(0) @binding(0) var<uniform> p: Params;

// The flat index of an elementwise thread in a (x, y) grid of 256-wide workgroups.
fn flat_index(g: vec3<u32>, nw: vec3<u32>) -> u32 {
    return g.x + g.y * nw.x * 256u;
}

// 0 identity, 1 logistic, 2 tanh, 3 relu.
fn act_apply(kind: u32, z: f32) -> f32 {
    if (kind == 1u) {
        if (z >= 0.0) { return 1.0 / (1.0 + exp(-z)); }
        let e = exp(z);
        return e / (1.0 + e);
    }
    if (kind == 2u) { return tanh(z); }
    if (kind == 3u) { return max(z, 0.0); }
    return z;
}

fn act_deriv(kind: u32, a: f32) -> f32 {
    if (kind == 1u) { return a * (1.0 - a); }
    if (kind == 2u) { return 1.0 - a * a; }
    if (kind == 3u) { return select(0.0, 1.0, a > 0.0); }
    return 1.0;
}
