// res[c] = f0 * sum_r m[r, c] over u0 rows, u1 cols. A 256-thread workgroup owns 64 columns:
// 4 row slices of 64 threads each, combined in workgroup memory in a fixed order.
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> res: array<f32>;
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let c = wg.x * 64u + (t % 64u);
    let slice = t / 64u;
    var total = 0.0;
    if (c < p.u1) {
        for (var r = slice; r < p.u0; r += 4u) { total += m[r * p.u1 + c]; }
    }
    part[t] = total;
    workgroupBarrier();
    if (slice == 0u && c < p.u1) {
        res[c] = p.f0 * (part[t] + part[t + 64u] + part[t + 128u] + part[t + 192u]);
    }
}
